import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { executionsOf } from './permissions';

import {
  ORGANIZATION_READER_ROLE as ORGANIZATION_READER_ROLE_NAME,
  ORGANIZATION_REPORTER_ROLE as ORGANIZATION_REPORTER_ROLE_NAME,
} from '../lambdas/shared/organization';

/** The fixed names (one copy, shared with the CLI and the coverage check). */
export { ORGANIZATION_READER_ROLE_NAME, ORGANIZATION_REPORTER_ROLE_NAME };

/** The IAM reads the reader may make: report, users, tags and key metadata, never a change. */
export const READER_IAM_ACTIONS = [
  'iam:GenerateCredentialReport',
  'iam:GetCredentialReport',
  'iam:ListUsers',
  'iam:GetUser',
  'iam:ListUserTags',
  'iam:ListAccessKeys',
  'iam:GetAccessKeyLastUsed',
] as const;

export interface OrganizationReaderProps {
  /** The central (delegated administrator) account whose reporter role may assume this one. */
  readonly centralAccountId: string;
  /** The member's rekey state machines (rotation and fleet scan), read with their executions. */
  readonly stateMachines: readonly IStateMachine[];
  /** The names of those state machines, in the same order (execution ARNs are built from them). */
  readonly stateMachineNames: readonly string[];
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * `RekeyOrganizationReader`: the read-only role the central account's reporter assumes in a
 * member. The trust names the central account's root with a condition on the calling role's ARN
 * (aws:PrincipalArn) rather than the role ARN itself: IAM refuses a trust policy naming a role
 * that does not exist yet, and the central role may be created after the members
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
 * "IAM role principals"). It reads the credential report, users, tags, key metadata, the rekey
 * state machines' executions and this stack's outputs; never a secret value, never a write.
 */
export class OrganizationReader extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OrganizationReaderProps) {
    super(scope, id);
    const central = props.centralAccountId;
    if (!Token.isUnresolved(central) && !ACCOUNT_ID.test(central)) {
      throw new Error(
        `OrganizationReader at ${this.node.path}: centralAccountId must be a 12-digit AWS account id; ` +
          `got "${central}". Pass the delegated administrator account's id.`,
      );
    }
    const reporterArn = `arn:${Aws.PARTITION}:iam::${central}:role/${ORGANIZATION_REPORTER_ROLE_NAME}`;
    this.role = new iam.Role(this, 'Role', {
      roleName: ORGANIZATION_READER_ROLE_NAME,
      description: 'rekey: read-only access for the central account reporter',
      assumedBy: new iam.AccountPrincipal(central).withConditions({
        ArnEquals: { 'aws:PrincipalArn': reporterArn },
      }),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...READER_IAM_ACTIONS], resources: ['*'] }),
    );
    const machines = props.stateMachines.map((m) => m.stateMachineArn);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: machines }),
    );
    const executions = props.stateMachineNames.map((name) => executionsOf(name));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // GetExecutionHistory: `rekey status --organization` shows each running rotation's phase.
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: executions.map((e) => e.arn),
      }),
    );
    for (const e of executions) {
      acknowledge(
        this.role,
        e.finding,
        "Reading a scan's or rotation's execution, named at run time: the executions of this member's rekey state machines, no other.",
      );
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks'],
        resources: [Stack.of(this).stackId],
      }),
    );
    // A StackSet names its instance StackSet-<name>-<id>: the CLI finds it by listing stacks,
    // which has no resource type (it lists names and statuses, not outputs or parameters).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:ListStacks'], resources: ['*'] }),
    );
    acknowledge(
      this.role,
      'IAM5[Resource::*]',
      'The credential report, ListUsers and CloudFormation ListStacks have no resource type; GetUser, ListUserTags, ListAccessKeys and GetAccessKeyLastUsed read every user the report lists. All are reads.',
    );
  }
}
