import { GenerateCredentialReportCommand, type IAMClient } from '@aws-sdk/client-iam';
import { asRetryable, InvalidInputError } from '../shared/errors';
import { logger } from '../shared/logger';

/** The fleet scan's input, as the schedule or an operator gives it. */
export interface ScanInput {
  readonly dryRun: boolean;
}

export interface ReportState extends ScanInput {
  readonly report: { readonly state: string; readonly attempts: number };
}

/** Validates the scan input: `{}` or `{"dryRun": true}` (the report field is the loop's own). */
export function parseScanInput(raw: unknown): ScanInput & { attempts: number } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(
      'The fleet scan input must be a JSON object, e.g. {} or {"dryRun": true}.',
    );
  }
  const input = raw as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => k !== 'dryRun' && k !== 'report');
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `Unknown fleet scan input field(s) ${unknown.join(', ')}: the only field is dryRun.`,
    );
  }
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') {
    throw new InvalidInputError(
      `"dryRun" must be true or false; got ${JSON.stringify(input.dryRun)}.`,
    );
  }
  const report = input.report as { attempts?: unknown } | undefined;
  const attempts = typeof report?.attempts === 'number' ? report.attempts : 0;
  return { dryRun: input.dryRun === true, attempts };
}

/**
 * Asks IAM for a credential report (IAM reuses one younger than 4 hours). The state machine
 * waits and asks again until the report is COMPLETE: no waiting inside the Lambda.
 */
export async function generateReport(event: unknown, iam: IAMClient): Promise<ReportState> {
  const { dryRun, attempts } = parseScanInput(event);
  try {
    const out = await iam.send(new GenerateCredentialReportCommand({}));
    const state = out.State ?? 'STARTED';
    logger.info('credential report', { state, attempts: attempts + 1 });
    return { dryRun, report: { state, attempts: attempts + 1 } };
  } catch (error) {
    throw asRetryable(error, 'GenerateCredentialReport');
  }
}
