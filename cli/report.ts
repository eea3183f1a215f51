import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { readCredentialReport, type ReportUser } from '../lambdas/shared/credential-report';
import { awsErrorCode } from '../lambdas/shared/errors';
import { userTags } from '../lambdas/shared/keys';
import {
  classifyUser,
  isManaged,
  needsTags,
  type FleetDecision,
  type FleetPolicy,
  type UserVerdict,
} from '../lambdas/shared/fleet';
import { ageInDays } from '../lambdas/shared/policy';
import { activeRootKeys, rootKeyFinding, type RootKeyFinding } from '../lambdas/shared/root-keys';
import { CliError, EXIT } from './errors';
import type { ReportSettings } from './settings';

export type ReportDecision = FleetDecision | 'not-managed';

export interface ReportEntry extends Omit<UserVerdict, 'decision'> {
  readonly decision: ReportDecision;
  readonly managed: boolean;
  /** Managed, an active key older than the maximum age, and not exempt. */
  readonly noncompliant: boolean;
}

export interface ComplianceReport {
  readonly generatedAt?: string;
  readonly asOf: string;
  readonly settings: {
    readonly source: string;
    readonly rotateAfterDays: number;
    readonly maxKeyAgeDays: number;
    readonly managedPath: string;
    readonly userSelection: string;
  };
  readonly users: readonly ReportEntry[];
  /**
   * Present when the root user has an active access key (Security Hub IAM.4, critical): the
   * report is then noncompliant whatever the users' keys. rekey never touches root keys.
   */
  readonly rootKeyFinding?: RootKeyFinding;
  readonly summary: {
    readonly users: number;
    readonly managed: number;
    readonly activeKeys: number;
    readonly decisions: Readonly<Partial<Record<ReportDecision, number>>>;
    readonly noncompliant: readonly string[];
    readonly oldestActiveKeyAgeDays?: number;
    /** Active access keys of the root user (0-2). */
    readonly rootAccessKeys: number;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** GenerateCredentialReport until COMPLETE, then GetCredentialReport (one report for everyone). */
export async function fetchCredentialReport(
  iam: IAMClient,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<{ csv: string; generatedAt?: Date }> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let pause = options.pollMs ?? 500; ; pause = Math.min(pause * 2, 5000)) {
    const { State } = await iam.send(new GenerateCredentialReportCommand({}));
    if (State === 'COMPLETE') {
      try {
        const out = await iam.send(new GetCredentialReportCommand({}));
        return {
          csv: Buffer.from(out.Content ?? new Uint8Array()).toString('utf8'),
          generatedAt: out.GeneratedTime,
        };
      } catch (error) {
        // Expired or replaced between the two calls: generate again.
        if (
          !/^(ReportExpired|ReportInProgress|ReportNotPresent|CredentialReport)/.test(
            awsErrorCode(error) ?? '',
          )
        ) {
          throw error;
        }
      }
    }
    if (Date.now() + pause > deadline) {
      throw new CliError(
        'IAM did not finish the credential report in time; try again in a minute',
        EXIT.failed,
        'ReportTimeout',
      );
    }
    await sleep(pause);
  }
}

const overdue = (user: ReportUser, p: FleetPolicy): boolean =>
  user.keys.some(
    (k) => k.active && k.lastRotated && ageInDays(k.lastRotated, p.now) > p.policy.maxKeyAgeDays,
  );

/**
 * Decides every user in the report the way the fleet scan does (lambdas/shared/fleet.ts), reading
 * tags only where they can change the answer: candidates for rotation and keys past the maximum
 * age (whose exemption decides compliance). The root user's row is no user: an active root key
 * is reported as a finding of its own.
 */
export async function buildReport(
  iam: IAMClient,
  settings: ReportSettings,
  now: Date,
  report: { csv: string; generatedAt?: Date },
): Promise<ComplianceReport> {
  const p: FleetPolicy = {
    policy: settings.policy,
    selection: settings.selection,
    managedPath: settings.managedPath,
    now,
  };
  const limit = pLimit(8);
  const { users, root } = readCredentialReport(report.csv);
  const rootKeys = rootKeyFinding(root);
  const entries = await Promise.all(
    users.map((user) =>
      limit(async (): Promise<ReportEntry | undefined> => {
        const managed = isManaged(user, p.managedPath);
        let tags: Record<string, string> | undefined;
        if (managed && (needsTags(user, p) || overdue(user, p))) {
          try {
            tags = await userTags(iam, user.userName);
          } catch (error) {
            if (awsErrorCode(error) === 'NoSuchEntity') return undefined; // deleted since the report
            throw error;
          }
        }
        const verdict = classifyUser(user, p, tags);
        const decision: ReportDecision = managed ? verdict.decision : 'not-managed';
        return {
          ...verdict,
          decision,
          reason: managed
            ? verdict.reason
            : `path ${user.path} is outside the managed path ${p.managedPath}`,
          managed,
          noncompliant: managed && verdict.overdue && decision !== 'exempt',
        };
      }),
    ),
  );
  const kept = entries.filter((e): e is ReportEntry => e !== undefined);
  const decisions: Partial<Record<ReportDecision, number>> = {};
  for (const e of kept) decisions[e.decision] = (decisions[e.decision] ?? 0) + 1;
  const ages = kept.flatMap((e) => e.keys.filter((k) => k.active).map((k) => k.ageDays));
  return {
    generatedAt: report.generatedAt?.toISOString(),
    asOf: now.toISOString(),
    settings: {
      source: settings.source,
      rotateAfterDays: settings.policy.rotateAfterDays,
      maxKeyAgeDays: settings.policy.maxKeyAgeDays,
      managedPath: settings.managedPath,
      userSelection: settings.selection.mode,
    },
    users: kept,
    rootKeyFinding: rootKeys,
    summary: {
      users: kept.length,
      managed: kept.filter((e) => e.managed).length,
      activeKeys: ages.length,
      decisions,
      noncompliant: kept.filter((e) => e.noncompliant).map((e) => e.userName),
      oldestActiveKeyAgeDays: ages.length > 0 ? Math.max(...ages) : undefined,
      rootAccessKeys: activeRootKeys(rootKeys),
    },
  };
}
