import { Duration, Token, type TimeZone } from 'aws-cdk-lib';
import type { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DEFAULT_METRICS_NAMESPACE, METRICS_NAMESPACE } from '../lambdas/shared/metrics';
import { AWS_REGION } from '../lambdas/shared/regions';

/** What happens when the cutover deadline passes with the old key still in use. */
export enum DeadlineAction {
  /** Fail the rotation: both keys stay active, the new key is current, operators are told who still uses the old key. */
  FAIL = 'fail',
  /** Deactivate the old key anyway (it stays restorable through the recovery window). */
  ENFORCE = 'enforce',
}

/** What to do when a user's second key slot holds an inactive key. */
export enum InactiveKeyAction {
  /** Delete the inactive key first (it cannot be in use), then rotate. */
  DELETE = 'delete',
  /** Refuse the rotation and notify; an operator deletes it. */
  REFUSE = 'refuse',
}

/** Which users under the managed path rekey rotates. */
export enum UserSelection {
  /** Every user, except those tagged `rekey:rotate=false`. */
  OPT_OUT = 'opt-out',
  /** Only users tagged `rekey:rotate=true`. */
  OPT_IN = 'opt-in',
}

/** Who may read each user's secret besides rekey (and roles named in `rekey:readers`). */
export enum ConsumerAccess {
  /**
   * Each managed user may read its own secret, and only its own: the secret's resource policy
   * names the user, and the KMS key policy lets IAM users decrypt only through Secrets Manager,
   * only for the secret named after them. Applications that hold nothing but the user's key can
   * then read the next key with the current one.
   */
  SELF = 'self',
  /** rekey sets no resource policy on secrets and adds no key policy statement for users. */
  NONE = 'none',
}

/** Properties of {@link KeyRotation}. Every one is optional; the defaults follow docs/design.md. */
export interface KeyRotationProps {
  /**
   * Age after which a key is due for scheduled rotation. Keep rotateAfter + cutoverDeadline
   * under 90 days so no active key outlives Security Hub IAM.3 / Config access-keys-rotated.
   * @default Duration.days(80)
   */
  readonly rotateAfter?: Duration;
  /**
   * Smallest rotate-after a user's `rekey:rotate-after-days` tag may set. The fleet scan reads
   * the tags of every user whose key is at least this old, so a lower value costs IAM calls.
   * @default - the same as rotateAfter (tags may only lengthen it, up to 90 days)
   */
  readonly minimumRotateAfter?: Duration;
  /**
   * How long to wait for applications to move to the new key before the deadline action.
   * @default Duration.days(7)
   */
  readonly cutoverDeadline?: Duration;
  /**
   * What happens at the cutover deadline if the old key is still in use.
   * @default DeadlineAction.FAIL
   */
  readonly deadlineAction?: DeadlineAction;
  /**
   * First interval between cutover checks; intervals double up to maxPollInterval. The first
   * check never comes before IAM's last-used data can prove a move (3 × 15 min + reporting lag).
   * @default Duration.minutes(15)
   */
  readonly pollInterval?: Duration;
  /**
   * Longest interval between cutover checks.
   * @default Duration.hours(18)
   */
  readonly maxPollInterval?: Duration;
  /**
   * How long the old key stays inactive, and restorable with `rekey rollback`, before deletion.
   * @default Duration.days(7)
   */
  readonly recoveryWindow?: Duration;
  /**
   * How long IAM may take to report a key's last use. AWS does not document it; rekey assumes
   * the 4 hours AWS gives for last-accessed information.
   * @default Duration.hours(4)
   */
  readonly lastUsedReportingLag?: Duration;
  /**
   * What to do with an inactive key in the user's second slot.
   * @default InactiveKeyAction.DELETE
   */
  readonly inactiveKeyAction?: InactiveKeyAction;
  /**
   * IAM path prefix of the users rekey manages; its permissions are scoped to it.
   * @default '/'
   */
  readonly managedPath?: string;
  /**
   * Opt-out (every user under the path) or opt-in (users tagged `rekey:rotate=true`).
   * @default UserSelection.OPT_OUT
   */
  readonly userSelection?: UserSelection;
  /**
   * Prefix of each user's secret, `<prefix><userName>`; permissions are scoped to it.
   * @default 'rekey/'
   */
  readonly secretPrefix?: string;
  /**
   * Customer managed KMS key for secrets, logs, the topic and state machine data.
   * @default - a new key with annual rotation
   */
  readonly encryptionKey?: IKey;
  /**
   * Topic for failures, refusals, passed deadlines and alarms.
   * @default - no notifications (events are still sent)
   */
  readonly topic?: ITopic;
  /**
   * Bus that receives rekey's events (source `rekey`).
   * @default - the account's default event bus
   */
  readonly eventBus?: IEventBus;
  /**
   * When the fleet scan runs. A given expression carries its own time zone
   * (`ScheduleExpression.cron({ ..., timeZone })`).
   * @default - daily at 03:00 in scanTimeZone
   */
  readonly scanSchedule?: ScheduleExpression;
  /**
   * Time zone of the default daily schedule.
   * @default TimeZone.ETC_UTC
   */
  readonly scanTimeZone?: TimeZone;
  /**
   * Whether the schedule is on. Off, scans run only when started by hand.
   * @default true
   */
  readonly scanEnabled?: boolean;
  /**
   * Scheduled scans only report what they would rotate (dry run); nothing changes.
   * @default false
   */
  readonly auditOnly?: boolean;
  /**
   * Rotations allowed to run at once. A scan starts no more than this leaves room for; the
   * rest stay due for the next scan. Size it as users / rotateAfter days × (cutover + recovery) days.
   * @default 100
   */
  readonly maxConcurrentRotations?: number;
  /**
   * Exemptions ending within this period are announced by every scan.
   * @default Duration.days(14)
   */
  readonly exemptionWarning?: Duration;
  /**
   * Retention of every rekey log group.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
  /**
   * CloudWatch namespace of rekey's metrics: the fleet scan's compliance figures
   * (`KeysPastMaxAge`, `UsersDue`, ...), which the dashboard and the KeysPastMaxAge alarm read,
   * and Report's per rotation (`RotationsSucceeded`, `CutoverSeconds`, `RotationSeconds`). Give
   * each deployment in an account its own, or their metrics mix.
   * @default 'rekey'
   */
  readonly metricsNamespace?: string;
  /**
   * Whether each managed user may read its own secret with its own key (a resource policy on the
   * secret, a key policy statement on the KMS key). Roles are added per user with the tag
   * `rekey:readers` or in CDK with `grantReadSecret`.
   * @default ConsumerAccess.SELF
   */
  readonly consumerAccess?: ConsumerAccess;
  /**
   * Whether a cutover check that finds the old key still in use names its callers from CloudTrail
   * (LookupEvents on the key: source IP, user agent, services, regions). It never blocks or
   * delays a rotation. Off, check-cutover gets no `cloudtrail:LookupEvents`.
   * @default true
   */
  readonly attribution?: boolean;
  /**
   * Regions whose CloudTrail event history attribution looks up (one lookup per region, at most 5).
   * @default - the stack's region and the region of the old key's last use that IAM reports
   */
  readonly attributionRegions?: string[];
  /**
   * Whether an AWS Health `AWS_RISK_CREDENTIALS_EXPOSED` event (AWS found one of the account's
   * access keys exposed, for example in a public repository) starts an emergency rotation of that
   * key: rotate now, cut the exposed key off at once, and report what it did. Off, no rule is
   * created; an emergency can still be started from the console or `rekey rotate --emergency`.
   * @default true
   */
  readonly emergencyOnExposure?: boolean;
  /**
   * How long an exposed key stays inactive, and restorable (`rekey rollback --force`), before an
   * emergency rotation deletes it.
   * @default Duration.days(1)
   */
  readonly emergencyRecoveryWindow?: Duration;
  /**
   * How long an exposed key stays active after the new key is current, so that applications whose
   * only identity is that key can read the new one. The trade-off: for this long, whoever found
   * the key can use it too. With none (the default), such applications are cut off with the key
   * and cannot read the secret again; applications that read with a role (`rekey:readers`) are
   * not. At most 1 hour.
   * @default - none: the exposed key is cut off as soon as the new key is current
   */
  readonly emergencyGrace?: Duration;
}

const DAY = 86_400;
const UNITS = { minutes: 60, hours: 3600, days: DAY } as const;
type Unit = keyof typeof UNITS;

/**
 * A policy value given as a token (a CloudFormation parameter, another resource's attribute):
 * rekey computes IAM statements, state machine waits and the Lambdas' policy from these values at
 * synthesis, so it cannot take one that is known only at deployment.
 */
function unresolved(where: string, prop: string, example: string): Error {
  return new Error(
    `${where}: ${prop} must be known when the app is synthesized, not a token (a CloudFormation ` +
      `parameter or another resource's value): rekey computes its policy from it. Give a value, ` +
      `for example ${prop}: ${example}.`,
  );
}

/** A Duration prop in seconds, checked against its range; a token is refused (see unresolved). */
function seconds(
  where: string,
  prop: string,
  value: Duration | undefined,
  fallback: Duration,
  range: readonly [number, number],
  unit: Unit,
): number {
  const d = value ?? fallback;
  const size = UNITS[unit];
  const example = `Duration.${unit}(${Math.round(fallback.toSeconds() / size)})`;
  if (Token.isUnresolved(d.toSeconds())) throw unresolved(where, prop, example);
  const s = d.toSeconds();
  const [min, max] = range;
  if (s < min || s > max) {
    throw new Error(
      `${where}: ${prop} must be between ${min / size} and ${max / size} ${unit}; got ${d.toHumanString()}. ` +
        `For example ${prop}: ${example}.`,
    );
  }
  return s;
}

/** The validated policy values, in the units the Lambdas use. */
export interface ResolvedProps {
  readonly rotateAfterDays: number;
  readonly minRotateAfterDays: number;
  readonly cutoverDeadlineSeconds: number;
  readonly deadlineAction: DeadlineAction;
  readonly pollInitialSeconds: number;
  readonly pollMaxSeconds: number;
  readonly recoveryWindowSeconds: number;
  readonly lastUsedLagSeconds: number;
  readonly inactiveKeyAction: InactiveKeyAction;
  readonly managedPath: string;
  readonly userSelection: UserSelection;
  readonly secretPrefix: string;
  readonly maxConcurrentRotations: number;
  readonly exemptionWarningDays: number;
  readonly consumerAccess: ConsumerAccess;
  readonly metricsNamespace: string;
  readonly attribution: boolean;
  /** Empty: the defaults (the stack's region and the old key's last-use region). */
  readonly attributionRegions: readonly string[];
  readonly emergencyOnExposure: boolean;
  readonly emergencyRecoveryWindowSeconds: number;
  readonly emergencyGraceSeconds: number;
}

const PATH = /^\/([\u0021-\u007e]*\/)?$/;
const PREFIX = /^[A-Za-z0-9/_+=.@-]{1,256}$/;

/**
 * Validates props in the constructor; each error names the construct (`where`, with its path),
 * the prop, the value and the fix.
 */
export function resolveProps(props: KeyRotationProps, where = 'KeyRotation'): ResolvedProps {
  const rotateAfter = seconds(
    where,
    'rotateAfter',
    props.rotateAfter,
    Duration.days(80),
    [DAY, 365 * DAY],
    'days',
  );
  const minRotateAfter = seconds(
    where,
    'minimumRotateAfter',
    props.minimumRotateAfter,
    Duration.seconds(rotateAfter),
    [DAY, rotateAfter],
    'days',
  );
  const pollInitial = seconds(
    where,
    'pollInterval',
    props.pollInterval,
    Duration.minutes(15),
    [60, DAY],
    'minutes',
  );
  const pollMax = seconds(
    where,
    'maxPollInterval',
    props.maxPollInterval,
    Duration.hours(18),
    [60, 7 * DAY],
    'hours',
  );
  if (pollMax < pollInitial) {
    throw new Error(
      `${where}: maxPollInterval (${pollMax} s) must not be shorter than pollInterval (${pollInitial} s). ` +
        'Raise maxPollInterval or lower pollInterval.',
    );
  }
  const managedPath = props.managedPath ?? '/';
  if (!Token.isUnresolved(managedPath) && (!PATH.test(managedPath) || managedPath.length > 512)) {
    throw new Error(
      `${where}: managedPath must be an IAM path that starts and ends with "/" (e.g. '/' or '/apps/'); got '${managedPath}'.`,
    );
  }
  const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  if (Token.isUnresolved(metricsNamespace)) {
    throw unresolved(where, 'metricsNamespace', "'rekey-platform'");
  }
  if (!METRICS_NAMESPACE.test(metricsNamespace)) {
    throw new Error(
      `${where}: metricsNamespace must be 1-255 letters, digits or .-_/#: and must not start ` +
        `with "AWS/" (CloudWatch's rule); got '${metricsNamespace}'. Use e.g. 'rekey-platform'.`,
    );
  }
  const secretPrefix = props.secretPrefix ?? 'rekey/';
  if (!Token.isUnresolved(secretPrefix) && !PREFIX.test(secretPrefix)) {
    throw new Error(
      `${where}: secretPrefix may hold only letters, digits and /_+=.@- (1-256 characters); got '${secretPrefix}'. ` +
        "Use e.g. 'rekey/'.",
    );
  }
  return {
    rotateAfterDays: Math.floor(rotateAfter / DAY),
    minRotateAfterDays: Math.floor(minRotateAfter / DAY),
    cutoverDeadlineSeconds: seconds(
      where,
      'cutoverDeadline',
      props.cutoverDeadline,
      Duration.days(7),
      [3600, 90 * DAY],
      'hours',
    ),
    deadlineAction: props.deadlineAction ?? DeadlineAction.FAIL,
    pollInitialSeconds: pollInitial,
    pollMaxSeconds: pollMax,
    recoveryWindowSeconds: seconds(
      where,
      'recoveryWindow',
      props.recoveryWindow,
      Duration.days(7),
      [0, 90 * DAY],
      'days',
    ),
    lastUsedLagSeconds: seconds(
      where,
      'lastUsedReportingLag',
      props.lastUsedReportingLag,
      Duration.hours(4),
      [0, 2 * DAY],
      'hours',
    ),
    inactiveKeyAction: props.inactiveKeyAction ?? InactiveKeyAction.DELETE,
    managedPath,
    userSelection: props.userSelection ?? UserSelection.OPT_OUT,
    secretPrefix,
    maxConcurrentRotations: count(
      where,
      'maxConcurrentRotations',
      props.maxConcurrentRotations,
      100,
      10_000,
    ),
    exemptionWarningDays: Math.floor(
      seconds(
        where,
        'exemptionWarning',
        props.exemptionWarning,
        Duration.days(14),
        [0, 365 * DAY],
        'days',
      ) / DAY,
    ),
    consumerAccess: props.consumerAccess ?? ConsumerAccess.SELF,
    metricsNamespace,
    attribution: props.attribution ?? true,
    attributionRegions: regionList(where, props.attributionRegions),
    emergencyOnExposure: props.emergencyOnExposure ?? true,
    emergencyRecoveryWindowSeconds: seconds(
      where,
      'emergencyRecoveryWindow',
      props.emergencyRecoveryWindow,
      Duration.days(1),
      [0, 90 * DAY],
      'hours',
    ),
    emergencyGraceSeconds: seconds(
      where,
      'emergencyGrace',
      props.emergencyGrace,
      Duration.seconds(0),
      [0, 3600],
      'minutes',
    ),
  };
}

function regionList(where: string, regions: readonly string[] | undefined): string[] {
  if (regions === undefined) return [];
  if (Token.isUnresolved(regions) || regions.some((r) => Token.isUnresolved(r))) {
    throw unresolved(where, 'attributionRegions', "['eu-west-1']");
  }
  const bad = regions.filter((r) => !AWS_REGION.test(r));
  if (regions.length < 1 || regions.length > 5 || bad.length > 0) {
    throw new Error(
      `${where}: attributionRegions must list 1 to 5 AWS regions such as 'eu-west-1'; got ${JSON.stringify(regions)}. ` +
        "For example attributionRegions: ['eu-west-1'], or leave it out for the stack's region and the key's last-use region.",
    );
  }
  return [...new Set(regions)];
}

function count(
  where: string,
  prop: string,
  value: number | undefined,
  fallback: number,
  max: number,
): number {
  const n = value ?? fallback;
  if (Token.isUnresolved(n)) throw unresolved(where, prop, String(fallback));
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(
      `${where}: ${prop} must be a whole number from 1 to ${max}; got ${n}. For example ${prop}: ${fallback}.`,
    );
  }
  return n;
}
