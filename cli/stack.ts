import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { awsErrorCode } from '../lambdas/shared/errors';
import type { Context } from './context';
import { CliError, EXIT, explain } from './errors';

/** What the CLI needs from the deployed stack, read from its Outputs. */
export interface StackInfo {
  readonly stackName: string;
  readonly region: string;
  readonly rotationStateMachineArn: string;
  readonly fleetScanStateMachineArn?: string;
  readonly notificationTopicArn?: string;
  readonly secretPrefix: string;
  /** The deployed policy (the RotationPolicy output), absent on a stack deployed before it. */
  readonly rotationPolicy?: string;
}

/** Finds the stack (`--stack`, default Rekey) and its state machines with DescribeStacks. */
export async function findStack(ctx: Context): Promise<StackInfo> {
  const region = await ctx.region();
  const notFound = (): CliError =>
    new CliError(
      `stack ${ctx.stackName} not found in ${region}${ctx.endpoint ? ` at ${ctx.endpoint}` : ''}: ` +
        'deploy it with npx cdk deploy or pass --stack',
      EXIT.setup,
      'StackNotFound',
    );
  let outputs: Record<string, string>;
  try {
    const out = await ctx.clients.cfn.send(new DescribeStacksCommand({ StackName: ctx.stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw notFound();
    outputs = Object.fromEntries(
      (stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (error) {
    if (awsErrorCode(error) === 'ValidationError' && /does not exist/.test(String(error))) {
      throw notFound();
    }
    throw explain(error, { region, endpoint: ctx.endpoint });
  }
  const rotation = outputs.RotationStateMachineArn;
  if (!rotation) {
    throw new CliError(
      `stack ${ctx.stackName} in ${region} has no RotationStateMachineArn output: is it a rekey stack? ` +
        'Pass the right one with --stack',
      EXIT.setup,
      'NotARekeyStack',
    );
  }
  return {
    stackName: ctx.stackName,
    region,
    rotationStateMachineArn: rotation,
    fleetScanStateMachineArn: outputs.FleetScanStateMachineArn || undefined,
    notificationTopicArn: outputs.NotificationTopicArn || undefined,
    secretPrefix: outputs.SecretPrefix ?? 'rekey/',
    rotationPolicy: outputs.RotationPolicy || undefined,
  };
}
