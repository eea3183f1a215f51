import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HANDLER_BUNDLING } from './handler-bundling';
import { acknowledge, arnToken } from './nag';

/** The repository root, where `lambdas/` lives. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * The handlers the package build bundled: `dist/handlers/<step>/` beside this module's
 * `dist/lib/` in the installed package. From the repository's sources (`lib/`) this folder does
 * not exist, so a deployment from the sources always bundles the sources it deploys.
 */
export const PREBUNDLED_HANDLERS = path.resolve(__dirname, '..', 'handlers');

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
 * The step's code: its pre-bundled folder in the installed package (no esbuild needed), else
 * NodejsFunction's bundling of `lambdas/<step>/handler.ts` with the local esbuild.
 */
function codeOf(
  step: string,
  entry: string,
): Pick<NodejsFunctionProps, 'code' | 'handler' | 'entry' | 'bundling'> {
  const prebundled = path.join(PREBUNDLED_HANDLERS, step);
  if (existsSync(path.join(prebundled, 'index.js'))) {
    // The file name NodejsFunction gives its bundle, so the handler setting is the same.
    return { code: lambda.Code.fromAsset(prebundled), handler: 'index.handler' };
  }
  const source = path.join(REPO_ROOT, entry);
  if (!existsSync(source)) {
    throw new Error(
      `rekey: the ${step} handler is neither pre-bundled (${prebundled}) nor in the sources ` +
        `(${source}); reinstall the package, or in the repository run npm ci`,
    );
  }
  return { entry: source, handler: 'handler', bundling: HANDLER_BUNDLING };
}

/**
 * One rotation step as a Lambda: nodejs22.x on arm64, pre-bundled in the package or else bundled
 * locally by esbuild (HANDLER_BUNDLING either way), its own role (no managed policy), its own
 * encrypted log group with retention, and X-Ray tracing.
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
      ...codeOf(props.step, entry),
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
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
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
