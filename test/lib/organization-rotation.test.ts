import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  OrganizationRotation,
  type OrganizationRotationProps,
} from '../../lib/organization-rotation';

const PROPS: OrganizationRotationProps = {
  organizationId: 'o-a1b2c3d4e5',
  targetOrganizationalUnitIds: ['ou-ab12-cdefgh34'],
  homeRegion: 'eu-west-1',
  centralAccountId: '111122223333',
  managementAccountId: '999988887777',
};

function central(props: Partial<OrganizationRotationProps> = {}): {
  stack: Stack;
  org: OrganizationRotation;
} {
  // Bundled for real: cdk-stacksets copies each staged asset into the bucket at synthesis.
  const app = new App();
  const stack = new Stack(app, 'RekeyOrganization', {
    env: { account: '111122223333', region: 'eu-west-1' },
  });
  const org = new OrganizationRotation(stack, 'Organization', { ...PROPS, ...props });
  return { stack, org };
}

describe('OrganizationRotation', () => {
  const { stack, org } = central();
  const template = Template.fromStack(stack);

  it('deploys members as a service-managed StackSet with auto-deployment on the OUs in the home region', () => {
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      StackInstancesGroup: [
        {
          Regions: ['eu-west-1'],
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdefgh34'] },
        },
      ],
    });
  });

  it('lets only principals of the Organization read the member assets', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'rekey-assets-111122223333-eu-west-1',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'MembersOfTheOrganizationReadAssets',
            Effect: 'Allow',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
          }),
        ]),
      },
    });
  });

  it('puts the rekey deployment, the reader, forwarding and the report outputs in the member template', () => {
    // The member template is an asset of the central stack, not a stack artifact of its own.
    const outdir = (stack.node.root as App).outdir;
    const member = Template.fromJSON(
      JSON.parse(
        fs.readFileSync(path.join(outdir, org.memberStack.templateFile), 'utf8'),
      ) as Record<string, unknown>,
    );
    member.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    member.hasResourceProperties('AWS::IAM::Role', { RoleName: 'RekeyOrganizationReader' });
    member.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['rekey'] } });
    const outputs = Object.keys(member.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'RotationStateMachineArn',
        'FleetScanStateMachineArn',
        'RotationPolicy',
        'OrganizationReaderRoleArn',
      ]),
    );
  });

  it('refuses OU ids that are not OUs or roots, naming the construct and the value', () => {
    expect(() => central({ targetOrganizationalUnitIds: ['123456789012'] })).toThrow(
      /OrganizationRotation at RekeyOrganization\/Organization: targetOrganizationalUnitIds has "123456789012"/,
    );
    expect(() => central({ targetOrganizationalUnitIds: [] })).toThrow(/is empty/);
  });
});
