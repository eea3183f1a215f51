import { InvalidInputError } from '../shared/errors';
import type { RotationInput, RotationMode } from '../shared/types';
import { parseEmergency } from './emergency-input';

const USER_NAME = /^[\w+=,.@-]{1,128}$/;
const MODES: readonly RotationMode[] = ['on-demand', 'scheduled'];
const ALLOWED = new Set(['userName', 'dryRun', 'mode', 'requestedBy', 'emergency']);
/** requestedBy lands in audit events: printable text only, no control characters. */
const REQUESTED_BY = /^[\P{C}]{1,256}$/u;
const EXAMPLE = 'Start the execution with {"userName": "alice"} (optionally "dryRun": true).';
/** Echoed values are cut to this many characters: an error must not carry a huge input back. */
const ECHO_LIMIT = 80;

/** A value for an error message, quoted and cut short. */
export function echo(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > ECHO_LIMIT
    ? `${text.slice(0, ECHO_LIMIT)}… (${text.length} characters)`
    : text;
}

/**
 * The input as given. An emergency may leave the user out: Inspect finds it from the key (AWS
 * Health's event names the key).
 */
export type RequestedRotation = Omit<RotationInput, 'userName'> & { readonly userName?: string };

/** Validates the execution input before anything is read or changed. */
export function parseRotationInput(raw: unknown): RequestedRotation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(`The input must be a JSON object; got ${echo(raw)}. ${EXAMPLE}`);
  }
  const input = raw as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !ALLOWED.has(k));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `Unknown input field${unknown.length > 1 ? 's' : ''} ${unknown
        .slice(0, 5)
        .map((k) => echo(k))
        .join(', ')}: the fields are userName, dryRun, mode, requestedBy and emergency. ${EXAMPLE}`,
    );
  }
  const { userName, dryRun, mode, requestedBy } = input;
  const emergency =
    input.emergency === undefined ? undefined : parseEmergency(input.emergency, echo);
  if ((userName === undefined || userName === '') && emergency === undefined) {
    throw new InvalidInputError(`The input field "userName" is required. ${EXAMPLE}`);
  }
  if (userName !== undefined && (typeof userName !== 'string' || !USER_NAME.test(userName))) {
    throw new InvalidInputError(
      `"userName" must be an IAM user name (1-128 characters: letters, digits and +=,.@_-); ` +
        `got ${echo(userName)}.`,
    );
  }
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new InvalidInputError(
      `"dryRun" must be true or false (a JSON boolean, not a string); got ${echo(dryRun)}.`,
    );
  }
  if (mode !== undefined && !MODES.includes(mode as RotationMode)) {
    throw new InvalidInputError(
      `"mode" must be "on-demand" (rotate whatever the key's age, the default) or "scheduled" ` +
        `(skip a key that is not due); got ${echo(mode)}. An emergency rotation is asked for ` +
        'with the "emergency" field, not a mode.',
    );
  }
  if (emergency !== undefined && mode === 'scheduled') {
    throw new InvalidInputError(
      'An emergency rotation cannot be "scheduled": it rotates whatever the key\'s age. Leave "mode" out.',
    );
  }
  if (
    requestedBy !== undefined &&
    (typeof requestedBy !== 'string' || !REQUESTED_BY.test(requestedBy))
  ) {
    throw new InvalidInputError(
      `"requestedBy" must be printable text of 1 to 256 characters (who asked, for the audit ` +
        `events); got ${echo(requestedBy)}.`,
    );
  }
  return {
    ...(typeof userName === 'string' && userName !== '' && { userName }),
    dryRun: dryRun ?? false,
    mode: emergency ? 'emergency' : ((mode as RotationMode | undefined) ?? 'on-demand'),
    requestedBy: requestedBy ?? 'unspecified',
    ...(emergency && { emergency }),
  };
}
