/**
 * The fleet scan's input and its failures, shared by its two functions (fleet-report starts the
 * credential report, fleet-scan reads it): no step imports another step.
 */
import {
  asSentence,
  awsErrorCode,
  AwsTransientError,
  InvalidInputError,
  isTransient,
  RekeyError,
} from './errors';

/** The fleet scan's input, as the schedule or an operator gives it. */
export interface ScanInput {
  readonly dryRun: boolean;
}

/** How to start a scan, for every message about a bad input. */
const HOW = 'Start the fleet scan with {} (or {"dryRun": true} to only report).';

/** Validates the scan input: `{}` or `{"dryRun": true}` (the report field is the loop's own). */
export function parseScanInput(raw: unknown): ScanInput & { attempts: number } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    throw new InvalidInputError(`The fleet scan input must be a JSON object; got ${got}. ${HOW}`);
  }
  const input = raw as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => k !== 'dryRun' && k !== 'report');
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `Unknown fleet scan input field(s) ${unknown.map((k) => JSON.stringify(k).slice(0, 80)).join(', ')}: ` +
        `the only field is dryRun. ${HOW}`,
    );
  }
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') {
    throw new InvalidInputError(
      `"dryRun" must be true or false (a JSON boolean); got ${JSON.stringify(input.dryRun).slice(0, 80)}. ${HOW}`,
    );
  }
  const report = input.report as { attempts?: unknown } | undefined;
  const attempts = typeof report?.attempts === 'number' ? report.attempts : 0;
  return { dryRun: input.dryRun === true, attempts };
}

/** AWS's error codes for a refused permission (IAM, STS, Step Functions, SNS). */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError']);

/**
 * A fleet scan failure as one sentence an operator can act on: what failed, AWS's own words,
 * and how to get past it. The scan's Fail state shows only this message (lib/readable-failure.ts);
 * the error's name stays AWS's code, or AwsTransientError, which the state machine retries.
 * A rekey error already says what to do and passes as it is.
 */
export function scanFailure(error: unknown, what: string): unknown {
  if (error instanceof RekeyError) return error;
  const code = awsErrorCode(error);
  if (isTransient(error)) {
    return new AwsTransientError(
      `${what} failed: ${code ?? 'error'} (throttling, a 5xx or a network error, which usually ` +
        'pass; the state machine retries it). If it lasts, start the fleet scan again later with {}; ' +
        'the next scheduled scan runs anyway.',
      error,
    );
  }
  if (code === undefined || !(error instanceof Error)) return error;
  const said = asSentence(error.message);
  const fix = DENIED.has(code)
    ? "Allow it for the fleet scan's role (or lift the service control policy or permission " +
      'boundary that denies it), then start the fleet scan again with {}.'
    : "Fix that, then start the fleet scan again with {}; the function's logs have the details.";
  return new RekeyError(code, `${what} failed: ${code}: ${said} ${fix}`, { cause: error });
}
