/**
 * Resolves the CloudFormation intrinsics that CDK emits in a synthesized template, the way
 * CloudFormation would in the sandbox's account and region. What a resource answers to `Ref`
 * and `Fn::GetAtt` is the caller's (`AttributeSource`); unknown things fail with a clear error.
 */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Outputs?: Record<string, CfnOutput>;
}

export interface CfnOutput {
  readonly Value: unknown;
  readonly Description?: string;
  readonly Condition?: string;
  readonly Export?: { readonly Name?: unknown };
}

export interface StackEnvironment {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Values for template parameters; otherwise a parameter's Default is used. */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** Answers `Ref` (attribute undefined) and `Fn::GetAtt` for one resource. */
export type AttributeSource = (
  resolver: TemplateResolver,
  logicalId: string,
  resource: CfnResource,
  attribute?: string,
) => unknown;

/** AWS::NoValue: the property or list element disappears. */
const NO_VALUE = Symbol('AWS::NoValue');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where} needs a string; got ${JSON.stringify(value)}`);
}

function asList(value: unknown, where: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Error(`${where} needs a list; got ${JSON.stringify(value)}`);
}

export class TemplateResolver {
  private readonly resolving = new Set<string>();

  constructor(
    readonly template: CfnTemplate,
    readonly env: StackEnvironment,
    private readonly attributes: AttributeSource,
  ) {}

  /** Resolves every intrinsic inside `value`; the result is plain JSON. */
  resolve(value: unknown): unknown {
    const out = this.walk(value);
    return out === NO_VALUE ? undefined : out;
  }

  resolveString(value: unknown, where: string): string {
    return asString(this.resolve(value), where);
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) throw new Error(`The template has no resource or parameter named ${logicalId}`);
    return resource;
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.walk(item)).filter((item) => item !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const only = keys[0];
    if (keys.length === 1 && only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(only, value[only]);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.walk(value[key]);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(asString(arg, 'Ref'));
      case 'Fn::GetAtt': {
        const [id, attribute] = typeof arg === 'string' ? splitOnce(arg) : asList(arg, name);
        return this.getAtt(asString(id, name), asString(this.walk(attribute), name));
      }
      case 'Fn::Join': {
        const [delimiter, list] = asList(arg, name);
        const items = asList(this.walk(list), name).map((item) => asString(item, name));
        return items.join(asString(delimiter, name));
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = asList(arg, name);
        const items = asList(this.walk(list), name);
        const i = Number(this.walk(index));
        if (!(i in items)) throw new Error(`Fn::Select index ${i} is out of range`);
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = asList(arg, name);
        return asString(this.walk(source), name).split(asString(delimiter, name));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = asList(arg, name);
        return this.walk(this.condition(asString(condition, name)) ? whenTrue : whenFalse);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = asList(arg, name).map((part) => asString(this.walk(part), name));
        const found = this.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (found === undefined)
          throw new Error(`Fn::FindInMap found nothing at ${map}.${top}.${second}`);
        return found;
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.env.region}${zone}`);
      case 'Fn::Base64':
        return Buffer.from(asString(this.walk(arg), name)).toString('base64');
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(arg));
      default:
        throw new Error(
          `The sandbox does not resolve ${name} (in ${JSON.stringify({ [name]: arg })})`,
        );
    }
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::AccountId':
        return this.env.accountId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.env.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.env.region}:${this.env.accountId}:stack/${this.env.stackName}/sandbox`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = this.env.parameters?.[name] ?? parameter.Default;
      if (value === undefined)
        throw new Error(`Template parameter ${name} has no value and no Default`);
      return value;
    }
    return this.attribute(name);
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    return this.attribute(logicalId, attribute);
  }

  private attribute(logicalId: string, attribute?: string): unknown {
    const key = `${logicalId}.${attribute ?? 'Ref'}`;
    if (this.resolving.has(key)) throw new Error(`Circular reference while resolving ${key}`);
    this.resolving.add(key);
    try {
      return this.attributes(this, logicalId, this.resource(logicalId), attribute);
    } finally {
      this.resolving.delete(key);
    }
  }

  private sub(arg: unknown): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : asList(arg, 'Fn::Sub');
    const vars = isRecord(variables) ? variables : {};
    return asString(text, 'Fn::Sub').replace(
      /\$\{(!?)([^}]*)\}/g,
      (_whole, bang: string, ref: string) => {
        if (bang) return `\${${ref}}`;
        if (ref in vars) return asString(this.walk(vars[ref]), `Fn::Sub variable ${ref}`);
        const [id, attribute] = ref.startsWith('AWS::') ? [ref, undefined] : splitOnce(ref);
        const value = attribute === undefined ? this.ref(id) : this.getAtt(id, attribute);
        return asString(value, `Fn::Sub \${${ref}}`);
      },
    );
  }

  /** Whether a template condition holds (for a resource's `Condition`). */
  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`The template has no condition named ${name}`);
    return this.truth(definition);
  }

  private truth(expression: unknown): boolean {
    if (typeof expression === 'boolean') return expression;
    if (!isRecord(expression)) throw new Error(`Not a condition: ${JSON.stringify(expression)}`);
    const [[op, arg] = ['', undefined]] = Object.entries(expression);
    switch (op) {
      case 'Condition':
        return this.condition(asString(arg, op));
      case 'Fn::Equals': {
        const [a, b] = asList(arg, op).map((side) => JSON.stringify(this.resolve(side)));
        return a === b;
      }
      case 'Fn::Not':
        return !this.truth(asList(arg, op)[0]);
      case 'Fn::And':
        return asList(arg, op).every((part) => this.truth(part));
      case 'Fn::Or':
        return asList(arg, op).some((part) => this.truth(part));
      default:
        throw new Error(`The sandbox does not evaluate condition ${op}`);
    }
  }
}

function splitOnce(text: string): [string, string | undefined] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text, undefined] : [text.slice(0, dot), text.slice(dot + 1)];
}
