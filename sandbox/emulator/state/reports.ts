/**
 * Credential report lifecycle (docs/aws-semantics.md §1.1): IAM keeps one report, reuses it for four
 * hours, and a report is "in progress" for a configurable time after generation starts.
 * The content is a snapshot taken when generation starts.
 */
import { addSeconds } from '../time';

const REPORT_LIFETIME_SECONDS = 4 * 60 * 60;

export interface CredentialReport {
  readonly generatedTime: Date;
  readonly readyAt: Date;
  readonly csv: string;
}

export type ReportState = 'absent' | 'in-progress' | 'complete' | 'expired';

export class CredentialReports {
  private current?: CredentialReport;

  state(now: Date): ReportState {
    const report = this.current;
    if (!report) return 'absent';
    if (now.getTime() < report.readyAt.getTime()) return 'in-progress';
    if (now.getTime() >= addSeconds(report.generatedTime, REPORT_LIFETIME_SECONDS).getTime()) {
      return 'expired';
    }
    return 'complete';
  }

  get report(): CredentialReport | undefined {
    return this.current;
  }

  start(now: Date, inProgressSeconds: number, csv: string): void {
    this.current = { generatedTime: now, readyAt: addSeconds(now, inProgressSeconds), csv };
  }

  reset(): void {
    this.current = undefined;
  }
}
