import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { RekeyFunction } from './rekey-function';

/** Acknowledges one cdk-nag AwsSolutions finding on one construct, with the reason. */
export function acknowledge(construct: IConstruct, finding: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `AwsSolutions-${finding}`, reason });
}

/** How cdk-nag names a resource's ARN inside a finding: `<LogicalId.Arn>`. */
export function arnToken(element: CfnElement): string {
  const stack = Stack.of(element);
  return `<${stack.resolve(stack.getLogicalId(element)) as string}.Arn>`;
}

/** The findings CDK's own grants to a state machine's role raise, each with its reason. */
export function acknowledgeStateMachineRole(
  stateMachine: StateMachine,
  steps: readonly RekeyFunction[],
): void {
  const role = stateMachine.role;
  acknowledge(
    role,
    'IAM5[Resource::*]',
    'CloudWatch Logs log delivery (logs:*LogDelivery, DescribeLogGroups, ...) and X-Ray tracing support no resource-level permissions.',
  );
  for (const step of steps) {
    acknowledge(
      role,
      `IAM5[Resource::${arnToken(step.function.node.defaultChild as CfnFunction)}:*]`,
      'CDK grants lambda:InvokeFunction on the step function and its versions; bounded to this function.',
    );
  }
}
