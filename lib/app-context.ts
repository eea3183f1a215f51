import { Duration, type App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ConsumerAccess,
  DeadlineAction,
  InactiveKeyAction,
  UserSelection,
  type KeyRotationProps,
} from './key-rotation-props';

/** Every setting the app reads from CDK context (cdk.json, or `-c rekey:<name>=<value>`). */
export const CONTEXT_SETTINGS = {
  stackName: 'string',
  rotateAfterDays: 'number',
  minimumRotateAfterDays: 'number',
  cutoverDeadlineHours: 'number',
  deadlineAction: 'string',
  pollIntervalMinutes: 'number',
  maxPollIntervalHours: 'number',
  recoveryWindowDays: 'number',
  lastUsedReportingLagHours: 'number',
  inactiveKeyAction: 'string',
  managedPath: 'string',
  userSelection: 'string',
  secretPrefix: 'string',
  notificationEmail: 'string',
  logRetentionDays: 'number',
  /** Rotations the fleet scan lets run at once (KeyRotationProps.maxConcurrentRotations). @default 100 */
  maxConcurrentRotations: 'number',
  /** Days before an exemption ends that scans announce it (KeyRotationProps.exemptionWarning). @default 14 */
  exemptionWarningDays: 'number',
  /** Whether each user may read its own secret (KeyRotationProps.consumerAccess). @default self */
  consumerAccess: 'string',
  /** CloudWatch namespace of the compliance metrics (KeyRotationProps.metricsNamespace). @default rekey */
  metricsNamespace: 'string',
  /** Whether cutover checks name the old key's callers from CloudTrail (KeyRotationProps.attribution). @default true */
  attribution: 'boolean',
  /** Comma-separated regions attribution looks up (KeyRotationProps.attributionRegions). @default - the stack's and the last-use region */
  attributionRegions: 'string',
  /** Whether AWS Health's exposed-key event starts an emergency rotation (KeyRotationProps.emergencyOnExposure). @default true */
  emergencyOnExposure: 'boolean',
  /** Hours an exposed key stays inactive before deletion (KeyRotationProps.emergencyRecoveryWindow). @default 24 */
  emergencyRecoveryWindowHours: 'number',
  /** Minutes an exposed key stays active after promotion (KeyRotationProps.emergencyGrace). @default 0 */
  emergencyGraceMinutes: 'number',
} as const;

type Name = keyof typeof CONTEXT_SETTINGS;
export type ContextSettings = Partial<{
  [K in Name]: (typeof CONTEXT_SETTINGS)[K] extends 'number'
    ? number
    : (typeof CONTEXT_SETTINGS)[K] extends 'boolean'
      ? boolean
      : string;
}>;

/** Reads `rekey:*` context values; strings from `-c` are converted, bad values are named. */
export function readContext(app: App): ContextSettings {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, type] of Object.entries(CONTEXT_SETTINGS)) {
    const raw: unknown = app.node.tryGetContext(`rekey:${name}`);
    if (raw === undefined || raw === null || raw === '') continue;
    if (type === 'number') {
      const value = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(value)) {
        throw new Error(`Context rekey:${name} must be a number; got ${JSON.stringify(raw)}.`);
      }
      out[name] = value;
    } else if (type === 'boolean') {
      if (raw !== true && raw !== false && raw !== 'true' && raw !== 'false') {
        throw new Error(`Context rekey:${name} must be true or false; got ${JSON.stringify(raw)}.`);
      }
      out[name] = raw === true || raw === 'true';
    } else {
      out[name] = typeof raw === 'string' ? raw : JSON.stringify(raw);
    }
  }
  return out;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`Context rekey:${name} must be one of ${allowed.join(', ')}; got "${value}".`);
  }
  return value as T;
}

const RETENTIONS = Object.values(RetentionDays).filter(
  (v): v is RetentionDays => typeof v === 'number',
);

/** Turns context settings into KeyRotation props. */
export function rotationProps(
  c: ContextSettings,
): Omit<KeyRotationProps, 'topic' | 'encryptionKey'> {
  const days = (n?: number): Duration | undefined =>
    n === undefined ? undefined : Duration.days(n);
  const hours = (n?: number): Duration | undefined =>
    n === undefined ? undefined : Duration.hours(n);
  if (c.logRetentionDays !== undefined && !RETENTIONS.includes(c.logRetentionDays)) {
    throw new Error(
      `Context rekey:logRetentionDays must be a CloudWatch Logs retention (e.g. 30, 90, 365); got ${c.logRetentionDays}.`,
    );
  }
  return {
    rotateAfter: days(c.rotateAfterDays),
    minimumRotateAfter: days(c.minimumRotateAfterDays),
    cutoverDeadline: hours(c.cutoverDeadlineHours),
    deadlineAction: oneOf('deadlineAction', c.deadlineAction, Object.values(DeadlineAction)),
    pollInterval:
      c.pollIntervalMinutes === undefined ? undefined : Duration.minutes(c.pollIntervalMinutes),
    maxPollInterval: hours(c.maxPollIntervalHours),
    recoveryWindow: days(c.recoveryWindowDays),
    lastUsedReportingLag: hours(c.lastUsedReportingLagHours),
    inactiveKeyAction: oneOf(
      'inactiveKeyAction',
      c.inactiveKeyAction,
      Object.values(InactiveKeyAction),
    ),
    managedPath: c.managedPath,
    userSelection: oneOf('userSelection', c.userSelection, Object.values(UserSelection)),
    secretPrefix: c.secretPrefix,
    logRetention: c.logRetentionDays,
    maxConcurrentRotations: c.maxConcurrentRotations,
    exemptionWarning: days(c.exemptionWarningDays),
    consumerAccess: oneOf('consumerAccess', c.consumerAccess, Object.values(ConsumerAccess)),
    metricsNamespace: c.metricsNamespace,
    attribution: c.attribution,
    attributionRegions: c.attributionRegions
      ?.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    emergencyOnExposure: c.emergencyOnExposure,
    emergencyRecoveryWindow: hours(c.emergencyRecoveryWindowHours),
    emergencyGrace:
      c.emergencyGraceMinutes === undefined ? undefined : Duration.minutes(c.emergencyGraceMinutes),
  };
}
