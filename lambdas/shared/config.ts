import { DEFAULT_POLICY, isInactiveKeyAction, type Selection } from './policy';
import type { RotationPolicy } from './types';

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
}

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
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function json(env: Env, name: string): Record<string, unknown> {
  const raw = optional(env, name);
  if (raw === undefined) return {};
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

function policyFrom(raw: Record<string, unknown>): RotationPolicy {
  const policy: Record<string, unknown> = { ...DEFAULT_POLICY, ...raw };
  for (const [key, value] of Object.entries(DEFAULT_POLICY)) {
    if (typeof value === 'number' && typeof policy[key] !== 'number') {
      throw new Error(`${ENV.policy}.${key} must be a number; got ${String(policy[key])}`);
    }
  }
  if (policy.deadlineAction !== 'fail' && policy.deadlineAction !== 'enforce') {
    throw new Error(`${ENV.policy}.deadlineAction must be fail or enforce`);
  }
  if (!isInactiveKeyAction(policy.inactiveKeyAction)) {
    throw new Error(`${ENV.policy}.inactiveKeyAction must be delete or refuse`);
  }
  return policy as unknown as RotationPolicy;
}

function fleetFrom(raw: Record<string, unknown>): FleetSettings {
  const number = (key: string, fallback: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(
        `${ENV.fleet}.${key} must be a whole number of at least 0; got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  return {
    maxConcurrentRotations: number('maxConcurrentRotations', 100),
    exemptionWarningDays: number('exemptionWarningDays', 14),
  };
}

/** Reads the configuration once, at module load; a bad value fails the cold start loudly. */
export function loadConfig(env: Env = process.env): Config {
  const policy = policyFrom(json(env, ENV.policy));
  const selection = json(env, ENV.selection);
  const mode = selection.mode ?? 'opt-out';
  if (mode !== 'opt-out' && mode !== 'opt-in') {
    throw new Error(`${ENV.selection}.mode must be opt-out or opt-in`);
  }
  const minRotateAfterDays =
    typeof selection.minRotateAfterDays === 'number'
      ? selection.minRotateAfterDays
      : policy.rotateAfterDays;
  return {
    secretPrefix: optional(env, ENV.secretPrefix) ?? 'rekey/',
    managedPath: optional(env, ENV.managedPath) ?? '/',
    kmsKeyArn: optional(env, ENV.kmsKeyArn),
    eventBusName: optional(env, ENV.eventBusName) ?? 'default',
    topicArn: optional(env, ENV.topicArn),
    policy,
    selection: { mode, minRotateAfterDays },
    rotationStateMachineArn: optional(env, ENV.rotationStateMachineArn),
    fleet: fleetFrom(json(env, ENV.fleet)),
    consumerAccess: consumerAccessFrom(optional(env, ENV.consumerAccess)),
    attribution: attributionFrom(env),
  };
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Absent: off (a function the construct did not give it has no cloudtrail:LookupEvents). */
function attributionFrom(env: Env): AttributionSettings {
  if (optional(env, ENV.attribution) === undefined)
    return { enabled: false, regions: [], maxPages: 0 };
  const raw = json(env, ENV.attribution);
  const regions = raw.regions ?? [];
  if (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string' && REGION.test(r))) {
    throw new Error(
      `${ENV.attribution}.regions must be a list of AWS regions such as ["eu-west-1"]; got ${JSON.stringify(regions)}`,
    );
  }
  const maxPages = raw.maxPages ?? 10;
  if (
    typeof maxPages !== 'number' ||
    !Number.isInteger(maxPages) ||
    maxPages < 1 ||
    maxPages > 100
  ) {
    throw new Error(
      `${ENV.attribution}.maxPages must be a whole number from 1 to 100; got ${JSON.stringify(maxPages)}`,
    );
  }
  return { enabled: raw.enabled !== false, regions: regions as string[], maxPages };
}

function consumerAccessFrom(raw: string | undefined): 'self' | 'none' {
  if (raw === undefined || raw === 'self') return 'self';
  if (raw === 'none') return 'none';
  throw new Error(`${ENV.consumerAccess} must be self or none; got ${raw}`);
}
