/**
 * The rotation's state as it travels through the state machine. Every step takes the whole
 * state and returns it with its own fields added; nothing here is ever a secret.
 */

export type DeadlineAction = 'fail' | 'enforce';
export type InactiveKeyAction = 'delete' | 'refuse';
export type SelectionMode = 'opt-out' | 'opt-in';

/** The effective policy for one user: deployment defaults, then the user's `rekey:` tags. */
export interface RotationPolicy {
  /** A key older than this is due for rotation by the schedule. */
  readonly rotateAfterDays: number;
  /** Compliance threshold (Security Hub IAM.3, Config access-keys-rotated): 90 days. */
  readonly maxKeyAgeDays: number;
  /** How long to wait for applications to move to the new key. */
  readonly cutoverDeadlineSeconds: number;
  /** At the deadline with the old key still in use: fail (keep both keys) or enforce (deactivate). */
  readonly deadlineAction: DeadlineAction;
  readonly pollInitialSeconds: number;
  readonly pollMaxSeconds: number;
  /** How long the old key stays inactive (and restorable) before it is deleted. */
  readonly recoveryWindowSeconds: number;
  /** How long IAM may take to report a key's last use. */
  readonly lastUsedLagSeconds: number;
  /** What to do with an inactive key occupying the second slot. */
  readonly inactiveKeyAction: InactiveKeyAction;
}

/**
 * `scheduled` rotations (started by the fleet scan) skip a key that is not due; `on-demand` ones
 * rotate whatever its age.
 */
export type RotationMode = 'on-demand' | 'scheduled' | 'emergency';

/**
 * An exposed key to cut off now (docs/design.md, "Emergency rotation"): started by AWS Health's
 * AWS_RISK_CREDENTIALS_EXPOSED event, the console or `rekey rotate --emergency`.
 */
export interface EmergencyRequest {
  /** The exposed access key. */
  readonly accessKeyId: string;
  /** Why, in the requester's words or AWS Health's description (cut to 512 characters). */
  readonly reason: string;
  /** When the key was exposed, when known (the Health event's startTime). */
  readonly exposedAt?: string;
  /** `aws.health` for the Health event; `request` for the console and the CLI. */
  readonly source: 'aws.health' | 'request';
  /** The Health event's ARN, when it started the rotation. */
  readonly healthEventArn?: string;
}

export interface RotationInput {
  readonly userName: string;
  readonly dryRun: boolean;
  readonly mode: RotationMode;
  /**
   * Who the caller says asked for the rotation: recorded as a claim. Step Functions does not tell
   * an execution who started it; CloudTrail's StartExecution event records the principal.
   */
  readonly requestedBy: string;
  /** Present for an emergency rotation (mode `emergency`). */
  readonly emergency?: EmergencyRequest;
}

export interface KeyRef {
  readonly accessKeyId: string;
  readonly createDate: string;
}

/** The key this rotation created and published; the secret access key is only in Secrets Manager. */
export interface NewKey extends KeyRef {
  /** The secret version (ClientRequestToken) that holds the key. */
  readonly versionId: string;
  /** When the version was written to the secret. */
  readonly stagedAt: string;
}

export interface LastUsed {
  readonly date?: string;
  readonly serviceName: string;
  readonly region: string;
}

/** `exposed`: an emergency rotation cuts the old key off with no cutover wait. */
export type CutoverVerdict =
  'waiting' | 'in-use' | 'switched' | 'idle' | 'deadline-enforced' | 'exposed';

/** One caller of a key in CloudTrail: a source address and user agent, with what it called. */
export interface Caller {
  readonly sourceIp: string;
  readonly userAgent: string;
  /** Services it called (`sts`, `s3`), from the events' sources. */
  readonly services: readonly string[];
  readonly regions: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Events of this caller read (within the page budget). */
  readonly count: number;
  /** The API calls it made (`GetCallerIdentity`, `ListBuckets`), at most ten. */
  readonly eventNames?: readonly string[];
}

/**
 * Who used the old key, from CloudTrail's event history, as one cutover check found it. Bounded:
 * a fixed number of callers, each with capped fields, so the state stays small.
 */
export interface Attribution {
  /** `found`: at least one region answered (callers may be empty); `unavailable`: none did. */
  readonly status: 'found' | 'unavailable';
  /** The window looked up. */
  readonly since: string;
  readonly until: string;
  /** Regions looked up, one lookup series each. */
  readonly regions: readonly string[];
  /** The top callers, the most events first. */
  readonly callers: readonly Caller[];
  /** Callers found beyond the top ones. */
  readonly otherCallers: number;
  /** Events read. */
  readonly events: number;
  /** The page budget ended the lookups before the window's oldest event: the newest events only. */
  readonly truncated: boolean;
  /** LookupEvents requests made (throttled ones included). */
  readonly lookups: number;
  /** Why a region, or all of them, could not be looked up (denied, throttled, ...). */
  readonly problems: readonly string[];
}

export interface CutoverState {
  readonly polls: number;
  readonly verdict: CutoverVerdict;
  /** Seconds the Wait state sleeps before the next check. */
  readonly waitSeconds: number;
  readonly deadlineAt: string;
  readonly checkedAt?: string;
  readonly oldKeyLastUsed?: LastUsed;
  readonly newKeyLastUsed?: LastUsed;
  readonly reason: string;
  /** Who still used the old key, when this check found it in use after promotion. */
  readonly attribution?: Attribution;
}

/**
 * The recovery window after deactivation: the old key stays restorable until `endsAt`, and the
 * secret is checked at least every three days meanwhile, so that a deletion request is reported
 * while the secret can still be restored (Secrets Manager's shortest recovery window is 7 days).
 */
export interface RecoveryWindowState {
  /** When the window ends and DeleteOldKey may run. */
  readonly endsAt: string;
  /** Seconds the RecoveryWindow Wait state sleeps (at most three days). */
  readonly waitSeconds: number;
  /**
   * Whether this wait runs to the end of the window: DeleteOldKey follows it, and reads the
   * secret itself. Otherwise CheckRecoveryWindow does, then the next wait.
   */
  readonly lastWait: boolean;
  /**
   * Whether the window is over, for executions started under the definition before `lastWait`,
   * whose Choice still reads it after every check: the Lambdas they call are the new ones.
   */
  readonly ended: boolean;
  /** Checks of the secret made so far. */
  readonly checks: number;
  readonly checkedAt?: string;
}

/**
 * What the exposed key did, from CloudTrail's event history: its callers since the exposure (or
 * the last 24 hours), each marked by whether it also used the key in the 24 hours before, when the
 * key was still private. A caller first seen after the exposure is unexpected until an operator
 * knows it.
 */
export interface Forensics {
  /** The exposure time, or 24 hours before the lookup when it is unknown. */
  readonly since: string;
  readonly sinceSource: 'exposure' | 'last-24-hours';
  /** The lookup, which starts 24 hours before `since` to tell known callers from new ones. */
  readonly lookup: Attribution;
  /** Callers (source address and user agent) first seen at or after `since`. */
  readonly newCallers: readonly string[];
  /**
   * Whether anything but the key's callers from before the exposure used it since: `unknown`
   * when the lookup was truncated or unavailable, so first sightings cannot be told.
   */
  readonly unexpectedUse: 'yes' | 'no' | 'unknown';
}

/** An emergency rotation as it runs: the request, and what rekey found and did. */
export interface EmergencyState extends EmergencyRequest {
  /** Seconds the exposed key stays active after promotion, for applications to move. */
  readonly graceSeconds: number;
  /** A planned rotation of the user that this one stopped and took over. */
  readonly tookOver?: string;
  /** No new key: the user's other active key was already current, and is kept. */
  readonly keptKey?: string;
  readonly deactivatedAt?: string;
  readonly forensics?: Forensics;
}

export type Decision = 'rotate' | 'skip';

export interface RotationState extends Omit<RotationInput, 'emergency'> {
  /** Present for an emergency rotation. */
  readonly emergency?: EmergencyState;
  /** The name as the input gave it, when it differs from IAM's (user names ignore case). */
  readonly requestedUserName?: string;
  readonly executionArn: string;
  readonly userArn: string;
  readonly secretId: string;
  readonly startedAt: string;
  readonly policy: RotationPolicy;
  readonly decision: Decision;
  readonly reason: string;
  /** The key being replaced. Absent when the decision is skip for lack of an active key. */
  readonly oldKey?: KeyRef;
  /**
   * The secret as Inspect found it (its ARN ends in a random suffix, so a secret deleted and
   * created again has another). Absent before the user's first rotation.
   */
  readonly secretArn?: string;
  /** Keys the user held when the rotation started; any other key was created by a rotation. */
  readonly knownKeyIds: readonly string[];
  /** Roles (`rekey:readers`) the secret's resource policy lets read it besides the user. */
  readonly readers?: readonly string[];
  /** Regions (`rekey:ses-smtp-regions`) whose SES SMTP password the secret carries too. */
  readonly sesSmtpRegions?: readonly string[];
  /** Keys an earlier, ended rotation provably created and never published: discarded first (I3). */
  readonly orphanKeyIds?: readonly string[];
  /** An inactive key policy lets rekey delete to free the second slot. */
  readonly inactiveKeyToDelete?: string;
  /** Set when Inspect found an interrupted rotation of this same key. */
  readonly resumed?: 'staged' | 'promoted';
  readonly newKey?: NewKey;
  readonly verifiedAt?: string;
  readonly promotedAt?: string;
  readonly cutover?: CutoverState;
  readonly deactivatedAt?: string;
  readonly recovery?: RecoveryWindowState;
  readonly deletedAt?: string;
  readonly completedAt?: string;
}

/** What a Catch puts at `$.error`. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}
