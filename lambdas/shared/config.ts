import { DEFAULT_POLICY, isInactiveKeyAction, type Selection } from './policy';
import type { RotationPolicy } from './types';
import { AWS_REGION } from './regions';

/** What the construct passes to every Lambda through its environment. */
export interface Config {
  readonly secretPrefix: string;
  readonly managedPath: string;
  readonly kmsKeyArn?: string;
  readonly eventBusName: string;
  readonly topicArn?: string;
  readonly policy: RotationPolicy;
  readonly selection: Selection;
  readonly rotationStateMachineArn?: string;
  readonly fleet: FleetSettings;
  /** `self`: each user may read its own secret (StageKey sets the secret's resource policy). */
  readonly consumerAccess: 'self' | 'none';
  /** Who still uses an old key, from CloudTrail (only check-cutover is given it). */
  readonly attribution: AttributionSettings;
  /** How an emergency rotation treats the exposed key (only Inspect is given it). */
  readonly emergency: EmergencySettings;
}

/** What the construct writes to REKEY_EMERGENCY. */
export interface EmergencySettings {
  /** How long the exposed key stays inactive (and restorable) before it is deleted. */
  readonly recoveryWindowSeconds: number;
  /** How long the exposed key stays active after promotion, for applications to move. */
  readonly graceSeconds: number;
}

/** One day's recovery window, no grace: the defaults of the construct's props. */
export const EMERGENCY_DEFAULTS: EmergencySettings = {
  recoveryWindowSeconds: 86_400,
  graceSeconds: 0,
};

/**
 * LookupEvents pages (50 events each) one cutover check may read, over all its regions: at 2
 * lookups per second, 5 s of a check's time, and 500 events, enough to name the top callers.
 */
export const ATTRIBUTION_MAX_PAGES = 10;

/** What the construct writes to REKEY_ATTRIBUTION (only on check-cutover, only when it is on). */
export type AttributionSetting = Pick<AttributionSettings, 'regions'>;

/** How check-cutover looks up who still uses the old key. */
export interface AttributionSettings {
  readonly enabled: boolean;
  /**
   * Regions to look up. Empty: the function's own region and the region of the old key's last
   * use that IAM reports.
   */
  readonly regions: readonly string[];
  /** LookupEvents pages (50 events each) one check may read, over all its regions. */
  readonly maxPages: number;
}

/** How the fleet scan paces itself and warns. */
export interface FleetSettings {
  /** Rotations allowed to run at once; the scan starts no more than this leaves room for. */
  readonly maxConcurrentRotations: number;
  /** Exemptions expiring within this many days are announced. */
  readonly exemptionWarningDays: number;
}

export const ENV = {
  secretPrefix: 'REKEY_SECRET_PREFIX',
  managedPath: 'REKEY_MANAGED_PATH',
  kmsKeyArn: 'REKEY_KMS_KEY_ARN',
  eventBusName: 'REKEY_EVENT_BUS_NAME',
  topicArn: 'REKEY_TOPIC_ARN',
  policy: 'REKEY_POLICY',
  selection: 'REKEY_SELECTION',
  rotationStateMachineArn: 'REKEY_ROTATION_STATE_MACHINE_ARN',
  fleet: 'REKEY_FLEET',
  consumerAccess: 'REKEY_CONSUMER_ACCESS',
  attribution: 'REKEY_ATTRIBUTION',
  emergency: 'REKEY_EMERGENCY',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function json(env: Env, name: string): Record<string, unknown> | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through to the error below
  }
  throw new Error(`Environment variable ${name} must be a JSON object; got ${raw}`);
}

/**
 * The settings a JSON variable must hold: exactly these keys. The construct writes every one of
 * them (`satisfies` the type in lib/), so a key missing or unknown here means a function and a
 * construct of different rekey versions, or a hand edit: failing the cold start says so, where
 * merging over defaults would quietly run with a default in production.
 */
function exactKeys(
  name: string,
  raw: Record<string, unknown>,
  keys: readonly string[],
  optionalKeys: readonly string[] = [],
): void {
  const unknown = Object.keys(raw).filter((k) => !keys.includes(k) && !optionalKeys.includes(k));
  const missing = keys.filter((k) => !(k in raw));
  if (unknown.length === 0 && missing.length === 0) return;
  const problems = [
    ...(unknown.length > 0 ? [`unknown ${unknown.join(', ')}`] : []),
    ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
  ];
  throw new Error(
    `${name} must hold exactly ${[...keys, ...optionalKeys].join(', ')}; it has ${problems.join(' and ')}. ` +
      'The KeyRotation construct writes them all: deploy the stack again with one rekey version.',
  );
}

/**
 * The policy as the construct writes it to REKEY_POLICY: every setting but the compliance
 * threshold, which is no setting (90 days, Security Hub IAM.3) and which the functions add.
 * Stacks deployed before this list was enforced wrote exactly these keys.
 */
export type DeployedPolicy = Omit<RotationPolicy, 'maxKeyAgeDays'>;

/** The policy's settings, from the defaults' keys: the type and this list cannot differ. */
export const POLICY_KEYS = (Object.keys(DEFAULT_POLICY) as (keyof RotationPolicy)[]).filter(
  (key): key is keyof DeployedPolicy => key !== 'maxKeyAgeDays',
);

function policyFrom(raw: Record<string, unknown>): RotationPolicy {
  exactKeys(ENV.policy, raw, POLICY_KEYS);
  for (const key of POLICY_KEYS) {
    if (typeof DEFAULT_POLICY[key] === 'number' && typeof raw[key] !== 'number') {
      throw new Error(`${ENV.policy}.${key} must be a number; got ${String(raw[key])}`);
    }
  }
  if (raw.deadlineAction !== 'fail' && raw.deadlineAction !== 'enforce') {
    throw new Error(`${ENV.policy}.deadlineAction must be fail or enforce`);
  }
  if (!isInactiveKeyAction(raw.inactiveKeyAction)) {
    throw new Error(`${ENV.policy}.inactiveKeyAction must be delete or refuse`);
  }
  return {
    ...(raw as unknown as DeployedPolicy),
    maxKeyAgeDays: DEFAULT_POLICY.maxKeyAgeDays,
  };
}

/** What the construct writes to REKEY_SELECTION. */
export interface SelectionSetting {
  readonly mode: Selection['mode'];
  readonly minRotateAfterDays: number;
}

function selectionFrom(raw: Record<string, unknown>): Selection {
  exactKeys(ENV.selection, raw, ['mode', 'minRotateAfterDays']);
  if (raw.mode !== 'opt-out' && raw.mode !== 'opt-in') {
    throw new Error(`${ENV.selection}.mode must be opt-out or opt-in`);
  }
  if (typeof raw.minRotateAfterDays !== 'number') {
    throw new Error(
      `${ENV.selection}.minRotateAfterDays must be a number; got ${String(raw.minRotateAfterDays)}`,
    );
  }
  return { mode: raw.mode, minRotateAfterDays: raw.minRotateAfterDays };
}

const FLEET_DEFAULTS: FleetSettings = { maxConcurrentRotations: 100, exemptionWarningDays: 14 };

/** REKEY_FLEET is set on the fleet scan only; the other functions run with the defaults. */
function fleetFrom(raw: Record<string, unknown> | undefined): FleetSettings {
  if (raw === undefined) return FLEET_DEFAULTS;
  exactKeys(ENV.fleet, raw, Object.keys(FLEET_DEFAULTS));
  const number = (key: keyof FleetSettings): number => {
    const value = raw[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(
        `${ENV.fleet}.${key} must be a whole number of at least 0; got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  return {
    maxConcurrentRotations: number('maxConcurrentRotations'),
    exemptionWarningDays: number('exemptionWarningDays'),
  };
}

/** A JSON variable every function gets from the construct. */
function required(env: Env, name: string): Record<string, unknown> {
  const value = json(env, name);
  if (value === undefined) {
    throw new Error(
      `Environment variable ${name} is not set: the KeyRotation construct sets it on every ` +
        'function. Deploy the stack again.',
    );
  }
  return value;
}

/** Reads the configuration once, at module load; a bad value fails the cold start loudly. */
export function loadConfig(env: Env = process.env): Config {
  return {
    secretPrefix: optional(env, ENV.secretPrefix) ?? 'rekey/',
    managedPath: optional(env, ENV.managedPath) ?? '/',
    kmsKeyArn: optional(env, ENV.kmsKeyArn),
    eventBusName: optional(env, ENV.eventBusName) ?? 'default',
    topicArn: optional(env, ENV.topicArn),
    policy: policyFrom(required(env, ENV.policy)),
    selection: selectionFrom(required(env, ENV.selection)),
    rotationStateMachineArn: optional(env, ENV.rotationStateMachineArn),
    fleet: fleetFrom(json(env, ENV.fleet)),
    consumerAccess: consumerAccessFrom(optional(env, ENV.consumerAccess)),
    attribution: attributionFrom(env),
    emergency: emergencyFrom(json(env, ENV.emergency)),
  };
}

/** REKEY_EMERGENCY is set on Inspect only, which puts it into an emergency's policy. */
function emergencyFrom(raw: Record<string, unknown> | undefined): EmergencySettings {
  if (raw === undefined) return EMERGENCY_DEFAULTS;
  exactKeys(ENV.emergency, raw, Object.keys(EMERGENCY_DEFAULTS));
  const seconds = (key: keyof EmergencySettings): number => {
    const value = raw[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(
        `${ENV.emergency}.${key} must be a whole number of seconds, at least 0; got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  return {
    recoveryWindowSeconds: seconds('recoveryWindowSeconds'),
    graceSeconds: seconds('graceSeconds'),
  };
}

/** Absent: off (a function the construct did not give it has no cloudtrail:LookupEvents). */
function attributionFrom(env: Env): AttributionSettings {
  if (optional(env, ENV.attribution) === undefined)
    return { enabled: false, regions: [], maxPages: 0 };
  const raw = json(env, ENV.attribution) ?? {};
  exactKeys(ENV.attribution, raw, ['regions']);
  const regions = raw.regions;
  if (
    !Array.isArray(regions) ||
    !regions.every((r) => typeof r === 'string' && AWS_REGION.test(r))
  ) {
    throw new Error(
      `${ENV.attribution}.regions must be a list of AWS regions such as ["eu-west-1"]; got ${JSON.stringify(regions)}`,
    );
  }
  return { enabled: true, regions: regions as string[], maxPages: ATTRIBUTION_MAX_PAGES };
}

function consumerAccessFrom(raw: string | undefined): 'self' | 'none' {
  if (raw === undefined || raw === 'self') return 'self';
  if (raw === 'none') return 'none';
  throw new Error(`${ENV.consumerAccess} must be self or none; got ${raw}`);
}
