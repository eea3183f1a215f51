/**
 * Who each part of the deployed stack acts as, as AWS would have it: each Lambda as its own
 * execution role (lambda.amazonaws.com assumes it under its trust policy; the session is renewed
 * at every invocation, standing in for Lambda keeping its credentials fresh, because the SDK
 * checks expiry against real time while sandbox days pass in milliseconds), each state machine
 * as its role (states.amazonaws.com, bounded by aws:SourceArn), and its log writes checked as
 * Lambda and CloudWatch Logs make them.
 */
import type { StateMachineRecord } from '../contracts';
import type { SandboxEmulator } from './deploy';
import type { ExecutionIdentity } from './integrations';
import type { FunctionRuntime, LambdaFunctionSpec } from './lambda-host';
import { SdkInvoker } from './sdk-integration';

/** STS session names: 2-64 characters of [\w+=,.@-]. */
function sessionName(text: string): string {
  const clean = text.replace(/[^\w+=,.@-]/g, '-');
  return clean.length <= 64 ? clean.padEnd(2, '-') : clean.slice(0, 64);
}

export class Identities implements FunctionRuntime {
  private readonly environments = new Map<string, Record<string, string>>();
  private readonly streams = new Set<string>();
  private readonly invokers = new Map<string, SdkInvoker>();

  constructor(private readonly emulator: SandboxEmulator) {}

  /** The function's environment, with its role session renewed for this invocation. */
  environment(fn: LambdaFunctionSpec): Record<string, string> {
    let env = this.environments.get(fn.functionArn);
    if (!env) {
      env = {
        ...fn.environment,
        AWS_REGION: this.emulator.region,
        AWS_DEFAULT_REGION: this.emulator.region,
        AWS_ENDPOINT_URL: this.emulator.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMB),
      };
      this.environments.set(fn.functionArn, env);
    }
    if (fn.roleArn !== undefined) {
      const session = this.emulator.authorization.serviceSession(
        'lambda.amazonaws.com',
        fn.roleArn,
        {
          sessionName: sessionName(fn.functionName),
          sourceArn: fn.functionArn,
        },
      );
      env.AWS_ACCESS_KEY_ID = session.accessKeyId;
      env.AWS_SECRET_ACCESS_KEY = session.secretAccessKey;
      env.AWS_SESSION_TOKEN = session.sessionToken;
    }
    return env;
  }

  /**
   * Lambda writes a function's logs with the function's own role (CreateLogStream once per
   * stream, PutLogEvents per batch), and CloudWatch Logs encrypts them with the group's key as
   * logs.<region>.amazonaws.com under the key policy. A refusal loses the logs, silently.
   */
  logsAllowed(fn: LambdaFunctionSpec): boolean {
    const env = this.environments.get(fn.functionArn);
    const accessKeyId = env?.AWS_ACCESS_KEY_ID;
    if (fn.logGroupName === undefined || accessKeyId === undefined) return true;
    const { region, accountId } = this.emulator;
    const group = `arn:aws:logs:${region}:${accountId}:log-group:${fn.logGroupName}`;
    const stream = `${group}:log-stream:sandbox`;
    const auth = this.emulator.authorization;
    if (!this.streams.has(fn.functionArn)) {
      // The stream's ARN, as the policies CDK writes (log-group:NAME:*) expect for both actions.
      const created = auth.checkAs(accessKeyId, {
        action: 'logs:CreateLogStream',
        resource: stream,
      });
      const encrypts =
        fn.logGroupKeyArn === undefined ||
        auth.checkService(`logs.${region}.amazonaws.com`, group, {
          action: 'kms:GenerateDataKey',
          resource: fn.logGroupKeyArn,
          resourcePolicy: auth.keyPolicy(fn.logGroupKeyArn),
          resourcePolicyRequired: true,
          context: { 'kms:EncryptionContext:aws:logs:arn': group },
        }).verdict === 'Allowed';
      if (created.verdict !== 'Allowed' || !encrypts) return false;
      this.streams.add(fn.functionArn);
    }
    return (
      auth.checkAs(accessKeyId, { action: 'logs:PutLogEvents', resource: stream }).verdict ===
      'Allowed'
    );
  }

  /**
   * The identity one execution runs with: its state machine's role. With a customer managed
   * key, Step Functions encrypts and decrypts the execution's data with the role's permissions
   * (GenerateDataKey and Decrypt, bound to the state machine by the encryption context); the
   * sandbox evaluates both once, as the execution starts, and records them.
   */
  forStateMachine(machine: StateMachineRecord): ExecutionIdentity {
    const session = () =>
      this.emulator.authorization.serviceSession('states.amazonaws.com', machine.roleArn, {
        sessionName: sessionName(`states-${machine.name}`),
        sourceArn: machine.stateMachineArn,
      });
    const auth = this.emulator.authorization;
    const keyArn = machine.kmsKeyId;
    if (keyArn !== undefined) {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        auth.checkAs(session().accessKeyId, {
          action,
          resource: keyArn,
          resourcePolicy: auth.keyPolicy(keyArn),
          resourcePolicyRequired: true,
          context: {
            'kms:ViaService': `states.${this.emulator.region}.amazonaws.com`,
            'kms:CallerAccount': this.emulator.accountId,
            'kms:EncryptionContext:aws:states:stateMachineArn': machine.stateMachineArn,
          },
          via: `states.${this.emulator.region}.amazonaws.com`,
        });
      }
    }
    let sdk = this.invokers.get(machine.stateMachineArn);
    if (!sdk) {
      sdk = new SdkInvoker(() => this.emulator.endpoint, this.emulator.region, session);
      this.invokers.set(machine.stateMachineArn, sdk);
    }
    return {
      sdk,
      invokeDenied: (functionArn) =>
        this.emulator.authorization.checkAs(session().accessKeyId, {
          action: 'lambda:InvokeFunction',
          resource: functionArn,
        }).message,
    };
  }
}
