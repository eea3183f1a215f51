import { CfnOutput, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  DeploymentType,
  StackSet,
  StackSetStack,
  StackSetTarget,
  StackSetTemplate,
  Capability,
} from 'cdk-stacksets';
import { Construct } from 'constructs';
import { MEMBER_STACK_SET_NAME } from '../lambdas/shared/organization';
import type { KeyRotationProps } from './key-rotation-props';
import { OrganizationBus, OrganizationForwarding, organizationBusArn } from './organization-events';
import { OrganizationReader } from './organization-reader';
import { addRekey } from './rekey-stack';

export interface OrganizationRotationProps {
  /** The Organization, e.g. `o-a1b2c3d4e5`. */
  readonly organizationId: string;
  /** The OUs (or the root, `r-...`) whose accounts get the member stack. */
  readonly targetOrganizationalUnitIds: readonly string[];
  /** The region members deploy to. */
  readonly homeRegion: string;
  /** The account this construct deploys in (the delegated administrator). */
  readonly centralAccountId: string;
  /** The management account, which service-managed StackSets never reach. */
  readonly managementAccountId: string;
  /** The policy of every member. @default - KeyRotation's defaults */
  readonly rotation?: Omit<KeyRotationProps, 'topic' | 'encryptionKey'>;
  /** @default 'rekey-members' */
  readonly stackSetName?: string;
  /** The asset buckets' name prefix; the bucket is `<prefix>-<homeRegion>`. @default `rekey-assets-<centralAccountId>` */
  readonly assetBucketPrefix?: string;
}

const OU = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;

/**
 * rekey for a whole Organization, from the central account: the member stack (the rekey
 * deployment, its reader role and event forwarding) as a service-managed StackSet with automatic
 * deployment on the target OUs, its Lambda assets in a bucket the Organization may read, and the
 * central event bus.
 */
export class OrganizationRotation extends Construct {
  public readonly stackSet: StackSet;
  public readonly memberStack: StackSetStack;
  public readonly assetBucket: s3.Bucket;
  public readonly bus: OrganizationBus;

  constructor(scope: Construct, id: string, props: OrganizationRotationProps) {
    super(scope, id);
    const where = `OrganizationRotation at ${this.node.path}`;
    if (props.targetOrganizationalUnitIds.length === 0) {
      throw new Error(
        `${where}: targetOrganizationalUnitIds is empty. Name at least one OU (ou-...) or the root (r-...).`,
      );
    }
    for (const ou of props.targetOrganizationalUnitIds) {
      if (!Token.isUnresolved(ou) && !OU.test(ou)) {
        throw new Error(
          `${where}: targetOrganizationalUnitIds has "${ou}", which is neither an OU id (ou-...) nor a root id (r-...).`,
        );
      }
    }
    this.bus = new OrganizationBus(this, 'Bus', { organizationId: props.organizationId });
    const prefix = props.assetBucketPrefix ?? `rekey-assets-${props.centralAccountId}`;
    this.assetBucket = new s3.Bucket(this, 'Assets', {
      bucketName: `${prefix}-${props.homeRegion}`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Members' CloudFormation reads the Lambda code as the member account: any principal of the
    // Organization, reads only.
    this.assetBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MembersOfTheOrganizationReadAssets',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.assetBucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
      }),
    );
    this.memberStack = new StackSetStack(this, 'Member', {
      assetBuckets: [this.assetBucket],
      assetBucketPrefix: prefix,
    });
    const { rotation } = addRekey(this.memberStack, { rotation: props.rotation });
    const names = [rotation.stateMachine, rotation.fleetScan.stateMachine].map(
      (m) => (m.node.defaultChild as sfn.CfnStateMachine).stateMachineName ?? '',
    );
    const reader = new OrganizationReader(this.memberStack, 'OrganizationReader', {
      centralAccountId: props.centralAccountId,
      stateMachines: [rotation.stateMachine, rotation.fleetScan.stateMachine],
      stateMachineNames: names,
    });
    const centralBusArn = organizationBusArn(props.centralAccountId, props.homeRegion);
    // addRekey's Lambdas put on the account's default bus.
    new OrganizationForwarding(this.memberStack, 'OrganizationForwarding', { centralBusArn });
    new CfnOutput(this.memberStack, 'OrganizationReaderRoleArn', { value: reader.role.roleArn });
    new CfnOutput(this.memberStack, 'OrganizationBusArn', { value: centralBusArn });
    this.stackSet = new StackSet(this, 'StackSet', {
      stackSetName: props.stackSetName ?? MEMBER_STACK_SET_NAME,
      description: 'rekey: IAM access key rotation in every member account',
      template: StackSetTemplate.fromStackSetStack(this.memberStack),
      deploymentType: DeploymentType.serviceManaged({
        autoDeployEnabled: true,
        autoDeployRetainStacks: false,
        delegatedAdmin: props.centralAccountId !== props.managementAccountId,
      }),
      target: StackSetTarget.fromOrganizationalUnits({
        regions: [props.homeRegion],
        organizationalUnits: [...props.targetOrganizationalUnitIds],
      }),
      capabilities: [Capability.NAMED_IAM],
    });
  }
}
