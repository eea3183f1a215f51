import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, arnToken } from './nag';

/** The repository root, where `lambdas/` lives. */
export const REPO_ROOT = path.resolve(__dirname, '..');

export interface RekeyFunctionProps {
  /** The step's folder under `lambdas/`, e.g. `inspect`. */
  readonly step: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly encryptionKey: IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /**
   * Why this role may act on resource "*" (cdk-nag IAM5[Resource::*]).
   * @default - X-Ray tracing, which supports no resource-level permissions
   */
  readonly starResourceReason?: string;
}

/**
 * One rotation step as a Lambda: nodejs22.x on arm64, bundled locally by esbuild, its own role
 * (no managed policy), its own encrypted log group with retention, and X-Ray tracing.
 * The `rekey:handler` metadata lets the sandbox run the same handler in-process.
 */
export class RekeyFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RekeyFunctionProps) {
    super(scope, id);
    const entry = path.join('lambdas', props.step, 'handler.ts');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `rekey ${props.step}: ${props.description}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn, `${this.logGroup.logGroupArn}:*`],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, entry),
      handler: 'handler',
      description: `rekey ${props.step}: ${props.description}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'rekey',
        POWERTOOLS_METRICS_NAMESPACE: 'rekey',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.CJS,
        target: 'node22',
        // The nodejs22.x runtime provides AWS SDK v3; bundling it would put every function over 400 KB.
        externalModules: ['@aws-sdk/*'],
      },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata('rekey:handler', entry);
    const logGroupArn = arnToken(this.logGroup.node.defaultChild as logs.CfnLogGroup);
    acknowledge(
      this.role,
      `IAM5[Resource::${logGroupArn}:*]`,
      "Log streams are created at run time; the statement is bounded to this function's own log group.",
    );
    acknowledge(
      this.role,
      'IAM5[Resource::*]',
      props.starResourceReason ??
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; added by Lambda active tracing.',
    );
    acknowledge(
      this.function,
      'L1',
      'rekey targets the nodejs22.x Lambda runtime on purpose (the supported LTS it is built and tested for).',
    );
  }
}
