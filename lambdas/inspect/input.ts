import { InvalidInputError } from '../shared/errors';
import type { RotationInput } from '../shared/types';

const USER_NAME = /^[\w+=,.@-]{1,128}$/;
const ALLOWED = new Set(['userName', 'dryRun', 'requestedBy']);
const EXAMPLE = 'Start the execution with {"userName": "alice"} (optionally "dryRun": true).';

/** Validates the execution input before anything is read or changed. */
export function parseRotationInput(raw: unknown): RotationInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(`The input must be a JSON object. ${EXAMPLE}`);
  }
  const input = raw as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !ALLOWED.has(k));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `Unknown input field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}: ` +
        `the fields are userName, dryRun and requestedBy. ${EXAMPLE}`,
    );
  }
  const { userName, dryRun, requestedBy } = input;
  if (userName === undefined || userName === '') {
    throw new InvalidInputError(`The input field "userName" is required. ${EXAMPLE}`);
  }
  if (typeof userName !== 'string' || !USER_NAME.test(userName)) {
    throw new InvalidInputError(
      `"userName" must be an IAM user name (1-128 characters: letters, digits and +=,.@_-); ` +
        `got ${JSON.stringify(userName)}.`,
    );
  }
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new InvalidInputError(
      `"dryRun" must be true or false (a JSON boolean, not a string); got ${JSON.stringify(dryRun)}.`,
    );
  }
  if (requestedBy !== undefined && (typeof requestedBy !== 'string' || requestedBy.length > 256)) {
    throw new InvalidInputError(`"requestedBy" must be a string of at most 256 characters.`);
  }
  return { userName, dryRun: dryRun ?? false, requestedBy: requestedBy ?? 'on-demand' };
}
