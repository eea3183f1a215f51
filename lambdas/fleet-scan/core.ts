import { GetCredentialReportCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, type MetricName } from '../shared/metrics';
import pLimit from 'p-limit';
import type { Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { readCredentialReport } from '../shared/credential-report';
import { awsErrorCode, RekeyError } from '../shared/errors';
import {
  classifyUser,
  isManaged,
  needsTags,
  type FleetPolicy,
  type UserVerdict,
} from '../shared/fleet';
import { userTags } from '../shared/keys';
import { logger } from '../shared/logger';
import { describeRootKeyFinding, rootKeyFinding, type RootKeyFinding } from '../shared/root-keys';
import type { Telemetry } from '../shared/telemetry';
import { parseScanInput, scanFailure } from '../shared/fleet-input';
import {
  deferRotation,
  runningOf,
  runningRotations,
  startRotation,
  type StartOutcome,
} from './start';
import { summarize, type ScanSummary } from './summary';

export interface ScanEvent {
  readonly input: unknown;
  readonly executionArn: string;
}

export interface ScanDeps {
  readonly iam: IAMClient;
  readonly sfn: SFNClient;
  readonly telemetry: Telemetry;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly config: Config;
}

/** Concurrent IAM tag reads and Step Functions starts: well under both services' rate limits. */
const CONCURRENCY = 8;

async function readReport(iam: IAMClient): Promise<{ csv: string; generatedAt?: Date }> {
  const out = await iam.send(new GetCredentialReportCommand({})).catch((error: unknown) => {
    throw scanFailure(error, 'Reading the credential report (iam:GetCredentialReport)');
  });
  return {
    csv: Buffer.from(out.Content ?? new Uint8Array()).toString('utf8'),
    generatedAt: out.GeneratedTime,
  };
}

/**
 * Decides every managed user: the report for all, tags only for users old enough to be due. The
 * root user's row is no user: its active keys are a finding to report, never a rotation.
 */
async function decide(
  deps: ScanDeps,
  p: FleetPolicy,
): Promise<{
  verdicts: UserVerdict[];
  scanned: number;
  generatedAt?: Date;
  rootKeys?: RootKeyFinding;
}> {
  const { csv, generatedAt } = await readReport(deps.iam);
  const { users, root } = readCredentialReport(csv);
  const managed = users.filter((u) => isManaged(u, p.managedPath));
  const limit = pLimit(CONCURRENCY);
  const verdicts = await Promise.all(
    managed.map((user) =>
      needsTags(user, p)
        ? limit(async () => {
            try {
              return classifyUser(user, p, await userTags(deps.iam, user.userName));
            } catch (error) {
              // Deleted since the report was generated: nothing to rotate.
              if (awsErrorCode(error) === 'NoSuchEntity') return undefined;
              throw scanFailure(error, `Reading the tags of ${user.userName} (iam:ListUserTags)`);
            }
          })
        : Promise.resolve(classifyUser(user, p)),
    ),
  );
  return {
    verdicts: verdicts.filter((v): v is UserVerdict => v !== undefined),
    scanned: users.length,
    generatedAt,
    rootKeys: rootKeyFinding(root),
  };
}

/** Starts rotations for due users, oldest key first, leaving room under the concurrency cap. */
async function startDue(
  deps: ScanDeps,
  verdicts: readonly UserVerdict[],
  now: Date,
): Promise<Map<string, StartOutcome>> {
  const outcomes = new Map<string, StartOutcome>();
  const arn = deps.config.rotationStateMachineArn;
  if (!arn)
    throw new RekeyError(
      'ConfigurationError',
      'REKEY_ROTATION_STATE_MACHINE_ARN is not set: the fleet scan function starts rotations of ' +
        'the state machine it names, which the KeyRotation construct sets. Deploy the stack again.',
    );
  const due = verdicts
    .filter((v) => v.decision === 'due' || v.decision === 'two-active-keys')
    .sort((a, b) => (b.oldestActiveKeyAgeDays ?? 0) - (a.oldestActiveKeyAgeDays ?? 0));
  if (due.length === 0) return outcomes;
  const running = await runningRotations(deps.sfn, arn);
  const room = Math.max(0, deps.config.fleet.maxConcurrentRotations - running.count);
  let reserved = 0;
  const limit = pLimit(CONCURRENCY);
  await Promise.all(
    due.map((v) =>
      limit(async () => {
        // Already rotating, whoever started it: in progress, whether or not the cap is full.
        const owner = runningOf(running, v);
        if (owner) {
          outcomes.set(v.userName, { status: 'in-progress', executionArn: owner });
          return;
        }
        if (reserved >= room) {
          outcomes.set(v.userName, await deferRotation(deps.sfn, arn, v));
          return;
        }
        reserved += 1;
        const outcome = await startRotation(deps.sfn, arn, v, now);
        if (outcome.status !== 'started') reserved -= 1;
        outcomes.set(v.userName, outcome);
      }),
    ),
  );
  return outcomes;
}

/**
 * The fleet scan: one credential report for the whole account, the policy applied to every
 * managed user, one rotation started per due user (deterministic names, capped), and a
 * compliance summary as an event, metrics and, when something needs a person, a notification.
 */
export async function scan(event: ScanEvent, deps: ScanDeps): Promise<ScanSummary> {
  const { dryRun } = parseScanInput(event.input);
  const now = deps.clock.now();
  const { config } = deps;
  try {
    const policy: FleetPolicy = {
      policy: config.policy,
      selection: config.selection,
      managedPath: config.managedPath,
      now,
    };
    const { verdicts, scanned, generatedAt, rootKeys } = await decide(deps, policy);
    const outcomes = dryRun
      ? new Map<string, StartOutcome>()
      : await startDue(deps, verdicts, now).catch((error: unknown) => {
          throw scanFailure(error, 'Starting the due rotations (Step Functions)');
        });
    const summary = summarize(verdicts, outcomes, {
      dryRun,
      scannedAt: now.toISOString(),
      reportGeneratedAt: generatedAt?.toISOString(),
      usersScanned: scanned,
      warningDays: config.fleet.exemptionWarningDays,
      rootKeys,
    });
    await publish(deps, summary, event.executionArn);
    return summary;
  } catch (error) {
    throw scanFailure(error, 'The fleet scan');
  }
}

async function publish(deps: ScanDeps, summary: ScanSummary, executionArn: string): Promise<void> {
  const { counts } = summary;
  logger.info('Fleet Scan Completed', {
    counts,
    dryRun: summary.dryRun,
    tagReads: summary.tagReads,
  });
  await deps.telemetry.emit('Fleet Scan Completed', {
    ...summary,
    executionArn,
    at: summary.scannedAt,
  });
  const metric = (name: MetricName, value: number): void => {
    deps.metrics.addMetric(name, MetricUnit.Count, value);
  };
  metric(METRICS.usersScanned, summary.usersManaged);
  metric(METRICS.usersCompliant, counts.compliant);
  metric(METRICS.usersDue, counts.due);
  metric(METRICS.keysPastMaxAge, counts.overdue);
  metric(METRICS.usersExempt, counts.exempt);
  metric(METRICS.exemptionsExpired, counts.exemptionsExpired);
  metric(METRICS.exemptionsExpiring, counts.exemptionsExpiring);
  metric(METRICS.rotationsRefused, counts.refused);
  metric(METRICS.rotationsFailed, counts.failed);
  metric(METRICS.rotationsStarted, counts.started);
  metric(METRICS.rotationsDeferred, counts.deferred);
  metric(METRICS.oldestActiveKeyAgeDays, summary.oldestActiveKeyAgeDays);
  metric(METRICS.rootAccessKeys, summary.rootAccessKeys);
  deps.metrics.publishStoredMetrics();
  const attention = noticeLines(summary);
  if (attention.length > 0) {
    const root = summary.rootKeyFinding ? 'root access key active (IAM.4), ' : '';
    await deps.telemetry.notify(
      `rekey fleet scan: ${root}${attention.length} item(s) need attention`,
      attention.join('\n'),
    );
  }
}

/** One line per category someone must act on, naming the users; an active root key first. */
function noticeLines(s: ScanSummary): string[] {
  const names = (c: keyof ScanSummary['counts']): string =>
    `${(s.users[c] ?? []).join(', ')}${s.truncated.includes(c) ? ', …' : ''}`;
  const lines: string[] = [];
  // First: the root user's keys open the whole account, and no rotation will fix them.
  if (s.rootKeyFinding) lines.push(describeRootKeyFinding(s.rootKeyFinding));
  if (s.counts.overdue)
    lines.push(`Keys past the maximum age (${s.counts.overdue}): ${names('overdue')}`);
  if (s.counts.failed)
    lines.push(
      `Rotations that failed and need an operator (${s.counts.failed}): ${names('failed')}`,
    );
  if (s.counts.refused)
    lines.push(
      `Refused: two active keys, or a name a secret cannot hold (${s.counts.refused}): ${names('refused')}`,
    );
  if (s.counts.exemptionsExpired)
    lines.push(
      `Expired exemptions, no longer honoured (${s.counts.exemptionsExpired}): ${names('exemptionsExpired')}`,
    );
  if (s.counts.exemptionsExpiring)
    lines.push(
      `Exemptions about to expire (${s.counts.exemptionsExpiring}): ${names('exemptionsExpiring')}`,
    );
  if (s.counts.deferred)
    lines.push(
      `Due but deferred by the concurrency cap (${s.counts.deferred}): ${names('deferred')}`,
    );
  return lines;
}
