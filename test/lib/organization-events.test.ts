import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  OrganizationBus,
  OrganizationForwarding,
  organizationBusArn,
} from '../../lib/organization-events';

const ORG = 'o-a1b2c3d4e5';

describe('OrganizationBus', () => {
  it('lets events:PutEvents through only for principals of the Organization', () => {
    const stack = new Stack(new App(), 'Central');
    new OrganizationBus(stack, 'Bus', { organizationId: ORG });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'rekey-organization' });
    const policies = template.findResources('AWS::Events::EventBusPolicy');
    const statements = Object.values(policies).map(
      (p) => (p as { Properties: { Statement: Record<string, unknown> } }).Properties.Statement,
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    });
  });

  it('refuses an organization id of the wrong form and says where to read it', () => {
    const stack = new Stack(new App(), 'Central');
    expect(() => new OrganizationBus(stack, 'Bus', { organizationId: 'r-abcd' })).toThrow(
      /Central\/Bus: organizationId must look like o-a1b2c3d4e5; got "r-abcd"/,
    );
  });
});

describe('OrganizationForwarding', () => {
  it('forwards source rekey to the central bus with a role that may put on that bus only', () => {
    const stack = new Stack(new App(), 'Member');
    const arn = organizationBusArn('111122223333', 'eu-west-1');
    new OrganizationForwarding(stack, 'Forward', { centralBusArn: arn });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['rekey'] },
      Targets: [Match.objectLike({ RoleArn: Match.anyValue() })],
    });
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain('events:eu-west-1:111122223333:event-bus/rekey-organization');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:eu-west-1:111122223333:event-bus/rekey-organization',
                ],
              ],
            },
          },
        ],
      },
    });
  });
});
