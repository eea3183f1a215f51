/**
 * EventBridge rules of the deployed template, and delivery of an event to them as EventBridge
 * does it: the rule's pattern, the target's input (Input, InputPath, InputTransformer), then
 * StartExecution as events.amazonaws.com with the target's role. The sandbox delivers only events
 * injected through the runner (an AWS service's event, such as AWS Health's), not rekey's own
 * PutEvents: nothing in the stack listens to those, and delivering them could only loop.
 *
 * Patterns: the subset rekey's rules use, as EventBridge documents it (event-patterns.html):
 * a field's array of allowed values matches when the event's value (or any element of an array
 * value) equals one of them; nested objects match field by field; `{"prefix": …}` and
 * `{"exists": true|false}` are supported too. Anything else (`anything-but`, `numeric`, wildcards)
 * is refused at deployment rather than matched wrongly.
 */
import { physicalName } from './resources';
import type { CfnTemplate, TemplateResolver } from './template';

export interface RuleTarget {
  readonly arn: string;
  readonly roleArn?: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
}

export interface DeployedRule {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly pattern: Readonly<Record<string, unknown>>;
  readonly targets: readonly RuleTarget[];
}

/** An event as EventBridge delivers it to rules. */
export interface BusEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkPattern(pattern: unknown, where: string): void {
  if (!isRecord(pattern)) throw new Error(`${where}: an event pattern must be an object`);
  for (const [field, value] of Object.entries(pattern)) {
    if (isRecord(value)) {
      checkPattern(value, `${where}.${field}`);
      continue;
    }
    if (!Array.isArray(value))
      throw new Error(`${where}.${field}: a pattern field must be an array or object`);
    for (const allowed of value) {
      if (!isRecord(allowed)) continue;
      const [operator] = Object.keys(allowed);
      if (operator !== 'prefix' && operator !== 'exists') {
        throw new Error(
          `${where}.${field}: the sandbox does not match ${JSON.stringify(allowed)} (supported: values, prefix, exists)`,
        );
      }
    }
  }
}

function matchesValue(allowed: readonly unknown[], value: unknown, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  return allowed.some((a) => {
    if (isRecord(a)) {
      if ('exists' in a) return a.exists === present;
      if ('prefix' in a) {
        return values.some(
          (v) => typeof v === 'string' && typeof a.prefix === 'string' && v.startsWith(a.prefix),
        );
      }
      return false;
    }
    return present && values.some((v) => v === a);
  });
}

/** Whether `event` matches `pattern`, field by field. */
export function matchesPattern(
  pattern: Readonly<Record<string, unknown>>,
  event: unknown,
): boolean {
  const object = isRecord(event) ? event : {};
  return Object.entries(pattern).every(([field, expected]) => {
    const present = field in object;
    const value = object[field];
    if (isRecord(expected)) return present && matchesPattern(expected, value);
    return matchesValue(expected as unknown[], value, present);
  });
}

/** A JSONPath of the form `$`, `$.a` or `$.a.b` (what InputPath and InputPathsMap take). */
function select(event: unknown, path: string): unknown {
  if (path === '$') return event;
  if (!path.startsWith('$.')) throw new Error(`Unsupported input path ${path}`);
  let value: unknown = event;
  for (const part of path.slice(2).split('.')) value = isRecord(value) ? value[part] : undefined;
  return value;
}

/**
 * The target's input. An InputTransformer placeholder inside quotes takes a string value as
 * text; outside quotes it takes the value as JSON; a path that selects nothing gives null (or
 * nothing inside quotes).
 */
export function targetInput(target: RuleTarget, event: BusEvent): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined)
    return JSON.stringify(select(event, target.inputPath) ?? null);
  const transformer = target.inputTransformer;
  if (!transformer) return JSON.stringify(event);
  return transformer.inputTemplate.replace(/(")?<([\w.-]+)>(")?/g, (whole, open, name, close) => {
    const path = transformer.inputPathsMap[name as string];
    if (path === undefined) return whole;
    const value = select(event, path);
    if (open && close) {
      const text =
        typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
      return JSON.stringify(text);
    }
    return `${(open as string | undefined) ?? ''}${JSON.stringify(value ?? null)}${(close as string | undefined) ?? ''}`;
  });
}

export function rulesOf(template: CfnTemplate, resolver: TemplateResolver): DeployedRule[] {
  return Object.entries(template.Resources ?? {})
    .filter(
      ([, r]) =>
        r.Type === 'AWS::Events::Rule' &&
        (r.Condition === undefined || resolver.condition(r.Condition)),
    )
    .flatMap(([id, resource]) => {
      const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      if (props.State === 'DISABLED' || !isRecord(props.EventPattern)) return [];
      checkPattern(props.EventPattern, `${id}.EventPattern`);
      const name = physicalName(resolver, id, resource);
      const { region, accountId } = resolver.env;
      const targets = (Array.isArray(props.Targets) ? props.Targets : [])
        .filter(isRecord)
        .map((t): RuleTarget => {
          const transformer = isRecord(t.InputTransformer) ? t.InputTransformer : undefined;
          return {
            arn: String(t.Arn),
            ...(typeof t.RoleArn === 'string' && { roleArn: t.RoleArn }),
            ...(typeof t.Input === 'string' && { input: t.Input }),
            ...(typeof t.InputPath === 'string' && { inputPath: t.InputPath }),
            ...(transformer && {
              inputTransformer: {
                inputPathsMap: (transformer.InputPathsMap ?? {}) as Record<string, string>,
                inputTemplate: String(transformer.InputTemplate),
              },
            }),
          };
        });
      return [
        {
          name,
          arn: `arn:aws:events:${region}:${accountId}:rule/${name}`,
          eventBusName: typeof props.EventBusName === 'string' ? props.EventBusName : 'default',
          pattern: props.EventPattern,
          targets,
        },
      ];
    });
}
