/**
 * The awsQuery protocol (IAM, STS, SNS): form-encoded parameters in, XML out.
 * Writing XML needs no library: the shapes are small and every text node is escaped here.
 */
import { ServiceError } from './errors';
import { isoSeconds } from './time';

/** A value the XML writer understands. Arrays become `<member>` lists, as the model's lists do. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | readonly XmlValue[]
  | { readonly [key: string]: XmlValue | undefined };

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

export function toXml(value: XmlValue): string {
  if (typeof value === 'string') return escapeXml(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return isoSeconds(value);
  if (isXmlList(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  return Object.entries(value)
    .filter((entry): entry is [string, XmlValue] => entry[1] !== undefined)
    .map(([key, item]) => `<${key}>${toXml(item)}</${key}>`)
    .join('');
}

function isXmlList(value: XmlValue): value is readonly XmlValue[] {
  return Array.isArray(value);
}

export function successXml(
  operation: string,
  namespace: string,
  result: XmlValue | undefined,
  requestId: string,
): string {
  // Operations without output members answer with ResponseMetadata only (docs/aws-semantics.md §0.2).
  const body =
    result === undefined ? '' : `<${operation}Result>${toXml(result)}</${operation}Result>`;
  return (
    `<${operation}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${operation}Response>`
  );
}

export function errorXml(error: ServiceError, namespace: string, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Form parameters of one query request, with the list encodings of docs/aws-semantics.md §0.1. */
export class QueryParams {
  private readonly values: Map<string, string>;

  constructor(body: string, urlQuery = '') {
    this.values = new Map();
    for (const source of [urlQuery, body]) {
      for (const [key, value] of new URLSearchParams(source)) this.values.set(key, value);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** A missing required member is a ValidationError, as AWS's front end answers it. */
  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) {
      const member = name.charAt(0).toLowerCase() + name.slice(1);
      throw new ServiceError(
        'ValidationError',
        `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return value;
  }

  int(name: string): number | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) {
      throw new ServiceError('ValidationError', `Invalid value for parameter ${name}: ${value}`);
    }
    return parsed;
  }

  /** `Name.member.1`, `Name.member.2`, … in index order. */
  stringList(name: string): string[] {
    return this.indexed(`${name}.member.`, (prefix) => this.values.get(prefix));
  }

  /** `Name.member.N.Field` structures; `fields` lists the members to read. */
  structList<F extends string>(name: string, fields: readonly F[]): Partial<Record<F, string>>[] {
    return this.indexed(`${name}.member.`, (prefix) => {
      const item: Partial<Record<F, string>> = {};
      let found = false;
      for (const field of fields) {
        const value = this.values.get(`${prefix}.${field}`);
        if (value !== undefined) {
          item[field] = value;
          found = true;
        }
      }
      return found ? item : undefined;
    });
  }

  /** Map entries `Name.entry.N.Name` with the value's members under `Name.entry.N.Value.*`. */
  map(name: string): Map<string, Map<string, string>> {
    const result = new Map<string, Map<string, string>>();
    for (let i = 1; ; i++) {
      const prefix = `${name}.entry.${i}`;
      const key = this.values.get(`${prefix}.Name`);
      if (key === undefined) break;
      const members = new Map<string, string>();
      for (const [k, v] of this.values) {
        if (k.startsWith(`${prefix}.Value.`)) members.set(k.slice(prefix.length + 7), v);
      }
      result.set(key, members);
    }
    return result;
  }

  private indexed<T>(prefix: string, read: (itemPrefix: string) => T | undefined): T[] {
    const items: T[] = [];
    for (let i = 1; ; i++) {
      const item = read(`${prefix}${i}`);
      if (item === undefined) return items;
      items.push(item);
    }
  }
}
