/** Step Functions names, ARNs, input and pagination rules (docs/aws-semantics.md §4). */
import { ServiceError } from './errors';
import { decodeToken, encodeToken } from './json-protocol';

export const sfnError = (code: string, message: string): ServiceError =>
  new ServiceError(code, message);

// Whitespace, the listed punctuation, C0/C1 controls, U+FFFE-FFFF and lone surrogates.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]/;

export function validateName(name: string): void {
  if (name.length < 1 || name.length > 80 || FORBIDDEN.test(name)) {
    throw sfnError('InvalidName', `Invalid Name: '${name}'`);
  }
}

export interface StatesArn {
  readonly region: string;
  readonly account: string;
  readonly resourceType: string;
  readonly resource: readonly string[];
}

function parseArn(arn: string): StatesArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'states') return undefined;
  const [, , , region, account, resourceType, ...resource] = parts;
  if (!region || !account || !resourceType || resource.some((p) => p === '')) return undefined;
  return { region, account, resourceType, resource };
}

/** An ARN of `type` with `segments` resource parts, or InvalidArn. */
export function requireArn(arn: string, type: 'stateMachine' | 'execution'): StatesArn {
  const parsed = parseArn(arn);
  if (!parsed) throw sfnError('InvalidArn', `Invalid Arn: '${arn}'`);
  const segments = type === 'stateMachine' ? 1 : 2;
  if (parsed.resourceType !== type || parsed.resource.length !== segments) {
    throw sfnError(
      'InvalidArn',
      `Invalid Arn: 'Resource type not valid in this context: ${parsed.resourceType}'`,
    );
  }
  return parsed;
}

const MAX_INPUT_BYTES = 256 * 1024;

export function validateInput(input: string): void {
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
    throw sfnError(
      'InvalidExecutionInput',
      'Invalid State Machine Execution Input: input is too large',
    );
  }
  try {
    JSON.parse(input);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw sfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${detail}'`);
  }
}

export function validateDefinition(definition: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    parsed = undefined;
  }
  const ok =
    typeof parsed === 'object' &&
    parsed !== null &&
    'StartAt' in parsed &&
    'States' in parsed &&
    typeof parsed.StartAt === 'string' &&
    typeof parsed.States === 'object' &&
    parsed.States !== null &&
    parsed.StartAt in parsed.States;
  if (!ok) {
    throw sfnError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED'",
    );
  }
}

/** maxResults 0 means the default of 100; tokens are opaque offsets. */
export function sfnPage<T>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { items: T[]; nextToken?: string } {
  const size = maxResults === undefined || maxResults === 0 ? 100 : maxResults;
  if (size < 0 || size > 1000) {
    throw sfnError('ValidationException', 'maxResults must be between 0 and 1000');
  }
  const start = decodeToken(nextToken, () =>
    sfnError('InvalidToken', `Invalid Token: '${nextToken ?? ''}'`),
  );
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? encodeToken(end) : undefined,
  };
}
