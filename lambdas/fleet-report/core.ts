import { GenerateCredentialReportCommand, type IAMClient } from '@aws-sdk/client-iam';
import { parseScanInput, scanFailure, type ScanInput } from '../shared/fleet-input';
import { logger } from '../shared/logger';

export interface ReportState extends ScanInput {
  readonly report: { readonly state: string; readonly attempts: number };
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
    throw scanFailure(error, 'Generating the credential report (iam:GenerateCredentialReport)');
  }
}
