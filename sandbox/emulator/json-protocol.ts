/**
 * The awsJson protocols (Secrets Manager and EventBridge 1.1, Step Functions 1.0): JSON in,
 * JSON out, dates as epoch seconds, absent members left out rather than null.
 */
import { ServiceError, isRecord } from './errors';
import { epochSeconds } from './time';

export type JsonObject = Record<string, unknown>;

/** Converts Dates to epoch seconds and drops undefined members, recursively. */
export function toWireJson(value: unknown): unknown {
  if (value instanceof Date) return epochSeconds(value);
  if (Array.isArray(value)) return value.map(toWireJson);
  if (isRecord(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = toWireJson(item);
    }
    return out;
  }
  return value;
}

export function parseJsonBody(body: string): JsonObject {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ServiceError(
      'SerializationException',
      'Start of structure or map found where not expected.',
    );
  }
  if (!isRecord(parsed)) {
    throw new ServiceError(
      'SerializationException',
      'Start of structure or map found where not expected.',
    );
  }
  return parsed;
}

/**
 * Step Functions returns its model's errors as `com.amazonaws.swf.service.v2.model#Code` with a
 * lowercase `message`; front-end errors carry the coral namespace. The SDK strips up to `#`.
 */
export function errorJson(error: ServiceError, stepFunctions: boolean): JsonObject {
  if (!stepFunctions) return { __type: error.code, Message: error.message };
  const namespace = error.common
    ? 'com.amazon.coral.service'
    : 'com.amazonaws.swf.service.v2.model';
  return { __type: `${namespace}#${error.code}`, message: error.message };
}

/** Typed readers for JSON request members; a wrong type is the service's validation error. */
export class JsonInput {
  constructor(
    readonly raw: JsonObject,
    private readonly invalid: (message: string) => ServiceError,
  ) {}

  string(name: string): string | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.invalid(`Invalid type for parameter ${name}`);
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) {
      throw this.invalid(
        `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return value;
  }

  number(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number') throw this.invalid(`Invalid type for parameter ${name}`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw this.invalid(`Invalid type for parameter ${name}`);
    return value;
  }

  stringArray(name: string): string[] | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
      throw this.invalid(`Invalid type for parameter ${name}`);
    }
    return value;
  }

  records(name: string): JsonObject[] | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every(isRecord)) {
      throw this.invalid(`Invalid type for parameter ${name}`);
    }
    return value;
  }
}

/** Opaque pagination tokens: base64 of an offset, so a forged token is detectable. */
export function encodeToken(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64');
}

export function decodeToken(token: string | undefined, invalid: () => ServiceError): number {
  if (token === undefined) return 0;
  const match = /^o:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!match?.[1]) throw invalid();
  return Number(match[1]);
}
