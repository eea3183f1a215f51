import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { createRekeyApp, type RekeyApp } from '../../lib/app';
import { KeyRotation } from '../../lib/key-rotation';
import type { KeyRotationProps } from '../../lib/key-rotation-props';
import type { RekeyFunction } from '../../lib/rekey-function';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Context that makes NodejsFunction skip esbuild, so construct tests synthesize in seconds. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

/**
 * CDK's built-in CloudFormation validation reports on a template and never changes it; it costs
 * ten seconds per test file, so construct tests skip it and validation.test.ts runs it once.
 */
export const NO_VALIDATION = { builtinCloudFormationValidation: false } as const;

/** The nine step folders under lambdas/, in workflow order. */
export const STEPS = [
  'inspect',
  'stage-key',
  'verify-key',
  'promote-key',
  'check-cutover',
  'deactivate-key',
  'delete-key',
  'report',
  'compensate',
] as const;
export type Step = (typeof STEPS)[number];

/** The fleet scan's two folders under lambdas/. */
export const FLEET_STEPS = ['fleet-report', 'fleet-scan'] as const;
export type FleetStep = (typeof FLEET_STEPS)[number];

/** Every Lambda a KeyRotation deploys: the nine rotation steps and the fleet scan's two. */
export const FUNCTIONS = [...STEPS, ...FLEET_STEPS] as const;
export type AnyStep = Step | FleetStep;

/** The context `cdk synth` gives bin/app.ts (cdk.json), plus overrides, with bundling skipped. */
export function cdkJsonContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return { ...cdkJson.context, ...SKIP_BUNDLING, ...overrides };
}

/** The deployable app exactly as bin/app.ts builds it (cdk-nag included), without bundling. */
export function realApp(
  overrides: Record<string, unknown> = {},
): RekeyApp & { template: Template } {
  const rekey = createRekeyApp({ context: cdkJsonContext(overrides), ...NO_VALIDATION });
  return { ...rekey, template: Template.fromStack(rekey.stack) };
}

/**
 * The default app's template (cdk.json's context, cdk-nag included, bundling skipped) as the
 * global set-up synthesized it once for the run (test/setup/default-assembly.ts). For tests
 * that only read the template; a test that needs the construct tree (`stack.resolve`, a
 * construct's attributes) or other context uses `realApp()`.
 */
export function defaultTemplate(): Template {
  const outdir = process.env.REKEY_DEFAULT_ASSEMBLY;
  if (!outdir) {
    throw new Error(
      'REKEY_DEFAULT_ASSEMBLY is not set: run the tests through jest (jest.config.js globalSetup ' +
        'synthesizes the default app), or use realApp() in a script.',
    );
  }
  const { templateFile } = JSON.parse(
    fs.readFileSync(path.join(outdir, 'rekey-default.json'), 'utf8'),
  ) as { templateFile: string };
  return Template.fromJSON(
    JSON.parse(fs.readFileSync(path.join(outdir, templateFile), 'utf8')) as Record<string, unknown>,
  );
}

/** A KeyRotation alone in a plain stack; `props` may create what it needs in the stack. */
export function rotationStack(props: (stack: Stack) => KeyRotationProps = () => ({})): {
  stack: Stack;
  rotation: KeyRotation;
  template: Template;
} {
  const app = new App({ context: SKIP_BUNDLING, ...NO_VALIDATION });
  const stack = new Stack(app, 'Test');
  const rotation = new KeyRotation(stack, 'Rotation', props(stack));
  return { stack, rotation, template: Template.fromStack(stack) };
}

/** A token resolved to its CloudFormation value (`{ Ref }`, `{ Fn::GetAtt }`, ...). */
export const resolved = (stack: Stack, value: unknown): unknown => stack.resolve(value) as unknown;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A CloudFormation value as a readable string: `Fn::Join` joined, `Ref` as `${Name}`,
 * `Fn::GetAtt` as `${Name.Attr}`. Lets tests compare ARN shapes without resolving them.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const o = value as Record<string, Json>;
    const join = o['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join;
      return (Array.isArray(parts) ? parts : [])
        .map(render)
        .join(typeof separator === 'string' ? separator : '');
    }
    if (typeof o.Ref === 'string') return `\${${o.Ref}}`;
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.map(render).join('.')}}`;
  }
  return JSON.stringify(value);
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface FoundStatement {
  /** Where the statement lives: `<logicalId>` or `<logicalId>/<inline policy name>`. */
  readonly where: string;
  /** The roles the policy is attached to (`{ Ref }` values). */
  readonly roles: readonly unknown[];
  readonly statement: Statement;
}

const list = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export const actionsOf = (s: Statement): string[] => list(s.Action);
export const resourcesOf = (s: Statement): unknown[] => list(s.Resource);

interface PolicyDocument {
  readonly Statement: Statement[];
}

/**
 * Every identity-policy statement in the template: AWS::IAM::Policy, AWS::IAM::ManagedPolicy
 * and the inline Policies of AWS::IAM::Role. (Resource policies - key, topic - are not here.)
 */
export function identityStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const add = (where: string, roles: unknown[], doc: PolicyDocument | undefined): void => {
    for (const statement of doc?.Statement ?? []) found.push({ where, roles, statement });
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of Object.entries(template.findResources(type))) {
      const p = r.Properties as { PolicyDocument?: PolicyDocument; Roles?: unknown[] };
      add(id, p.Roles ?? [], p.PolicyDocument);
    }
  }
  for (const [id, r] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    const p = r.Properties as {
      Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
    };
    for (const inline of p.Policies ?? []) {
      add(`${id}/${inline.PolicyName}`, [{ Ref: id }], inline.PolicyDocument);
    }
  }
  return found;
}

/** The statements of the policies attached to one role. */
export function statementsOf(stack: Stack, template: Template, role: IRole): Statement[] {
  const ref: unknown = stack.resolve(role.roleName);
  const same = (r: unknown): boolean => JSON.stringify(r) === JSON.stringify(ref);
  return identityStatements(template)
    .filter((s) => s.roles.some(same))
    .map((s) => s.statement);
}

/** The sorted actions a role's policies allow, optionally only those of one service prefix. */
export function allowedActions(statements: Statement[], service?: string): string[] {
  const actions = statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap(actionsOf)
    .filter((a) => service === undefined || a.startsWith(`${service}:`));
  return [...new Set(actions)].sort();
}

/** The kms:ViaService a statement is conditioned on, if any. */
export function viaService(s: Statement): string | undefined {
  const value = s.Condition?.StringEquals?.['kms:ViaService'];
  return value === undefined ? undefined : render(value);
}

export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly QueryLanguage?: string;
  readonly Choices?: { readonly Next: string }[];
  readonly Catch?: { readonly ErrorEquals: string[]; readonly Next: string }[];
  readonly Retry?: { readonly ErrorEquals: string[]; readonly MaxAttempts?: number }[];
  readonly Parameters?: Readonly<Record<string, unknown>>;
}

export interface Asl {
  readonly StartAt: string;
  readonly QueryLanguage?: string;
  readonly States: Record<string, AslState>;
}

/** A placeholder for the n-th token of the definition; a valid Lambda ARN, like the real one. */
export const tokenPlaceholder = (n: number): string =>
  `arn:aws:lambda:us-east-1:123456789012:function:token-${n}`;

/** The `rekey:state-machine` metadata that tells the two state machines apart. */
export type StateMachineKind = 'rotation' | 'fleet-scan';

/** The logical id and properties of the rotation or the fleet scan state machine. */
export function stateMachineOf(
  template: Template,
  kind: StateMachineKind,
): { id: string; properties: Record<string, unknown> } {
  const found = Object.entries(
    template.findResources('AWS::StepFunctions::StateMachine', {
      Metadata: { 'rekey:state-machine': kind },
    }),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind} state machine, found ${found.length}`);
  const [[id, resource]] = found as [[string, { Properties: Record<string, unknown> }]];
  return { id, properties: resource.Properties };
}

/**
 * A state machine's definition, parsed: the DefinitionString is captured, its Fn::Join string
 * parts joined and each token (a Lambda ARN) replaced with a placeholder.
 */
export function definitionOf(
  template: Template,
  kind: StateMachineKind = 'rotation',
): { asl: Asl; tokens: unknown[] } {
  const value: unknown = stateMachineOf(template, kind).properties.DefinitionString;
  if (typeof value === 'string') return { asl: JSON.parse(value) as Asl, tokens: [] };
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`unexpected DefinitionString ${JSON.stringify(value)}`);
  const tokens: unknown[] = [];
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      tokens.push(part);
      return tokenPlaceholder(tokens.length - 1);
    })
    .join(join[0]);
  return { asl: JSON.parse(text) as Asl, tokens };
}

/** The rekey:handler metadata of the Lambda function a CloudFormation reference points to. */
export function handlerOf(template: Template, ref: unknown): string | undefined {
  const getAtt = (ref as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (!getAtt) return undefined;
  const fn = template.findResources('AWS::Lambda::Function')[getAtt[0]];
  return (fn?.Metadata as Record<string, string> | undefined)?.['rekey:handler'];
}

/**
 * The RekeyFunction of a step (`check-cutover` -> `functions.checkCutover`, `fleet-scan` ->
 * `fleetFunctions.fleetScan`).
 */
export function stepFunction(rotation: KeyRotation, step: AnyStep): RekeyFunction {
  const key = step.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const all: Record<string, RekeyFunction> = { ...rotation.functions, ...rotation.fleetFunctions };
  const fn = all[key];
  if (!fn) throw new Error(`no function for step ${step}`);
  return fn;
}

export interface AlarmMetric {
  readonly Id: string;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: { Name: string; Value: unknown }[];
    };
    readonly Period?: number;
    readonly Stat: string;
  };
}

/** The properties of the alarms whose metrics have a dimension with the given value. */
export function alarmsOn(template: Template, dimensionValue: unknown): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((a) => a.Properties as Record<string, unknown>)
    .filter((p) =>
      ((p.Metrics ?? []) as AlarmMetric[]).some((m) =>
        m.MetricStat?.Metric.Dimensions.some(
          (d) => JSON.stringify(d.Value) === JSON.stringify(dimensionValue),
        ),
      ),
    );
}

/** The statements of the policies attached to the role with this logical id. */
export function statementsOfRoleId(template: Template, roleLogicalId: string): Statement[] {
  const ref = JSON.stringify({ Ref: roleLogicalId });
  return identityStatements(template)
    .filter((s) => s.roles.some((r) => JSON.stringify(r) === ref))
    .map((s) => s.statement);
}
