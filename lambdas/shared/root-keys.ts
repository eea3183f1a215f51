/**
 * Access keys of the account's root user, as a finding: the fleet scan and `rekey report` read
 * them from the credential report's `<root_account>` row, and an Organization report can gather
 * one finding per account. rekey never rotates, deactivates or deletes them: IAM lets only the
 * root user manage its own keys, and AWS advises deleting them, not rotating them.
 */
import type { ReportRoot } from './credential-report';

/** The Security Hub control an active root access key fails ("IAM root user access key should not exist"). */
export const ROOT_KEY_CONTROL = 'IAM.4';

/** AWS's procedure, which only the root user can follow. */
export const ROOT_KEY_DELETE_URL =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html';

export const ROOT_KEY_ADVICE =
  'rekey never rotates, deactivates or deletes a root access key: only the root user can manage ' +
  'its own keys, and AWS advises deleting them. Move whatever signs with the key to an IAM role ' +
  '(or a user rekey rotates), then sign in as the root user, open Security credentials and ' +
  `delete the key (${ROOT_KEY_DELETE_URL}).`;

/** One key slot of the root user, dates as ISO 8601 (the finding travels as JSON). */
export interface RootKey {
  readonly slot: 1 | 2;
  readonly active: boolean;
  readonly lastRotated?: string;
  readonly lastUsed?: string;
  readonly lastUsedService?: string;
  readonly lastUsedRegion?: string;
}

/** An active access key of the root user: every root key present, and what to do about it. */
export interface RootKeyFinding {
  /** The account, from the root row's ARN (`arn:aws:iam::<account>:root`). */
  readonly account?: string;
  /** Every root key the report shows, active or not (all of them should go). */
  readonly keys: readonly RootKey[];
  readonly control: typeof ROOT_KEY_CONTROL;
  readonly advice: string;
}

/** The account of a root ARN, or undefined when the ARN is not one. */
function accountOf(arn: string): string | undefined {
  const match = /^arn:[\w-]+:iam::(\d{12}):root$/.exec(arn);
  return match?.[1];
}

/**
 * The finding for the root row, or undefined when the root user has no active key (an inactive
 * key alone is no finding: it cannot sign a request).
 */
export function rootKeyFinding(root: ReportRoot | undefined): RootKeyFinding | undefined {
  if (!root?.keys.some((k) => k.active)) return undefined;
  return {
    account: accountOf(root.arn),
    keys: root.keys.map((k) => ({
      slot: k.slot,
      active: k.active,
      lastRotated: k.lastRotated?.toISOString(),
      lastUsed: k.lastUsed?.toISOString(),
      lastUsedService: k.lastUsedService,
      lastUsedRegion: k.lastUsedRegion,
    })),
    control: ROOT_KEY_CONTROL,
    advice: ROOT_KEY_ADVICE,
  };
}

/** The number of active root keys (0, 1 or 2): the `RootAccessKeys` metric. */
export const activeRootKeys = (finding: RootKeyFinding | undefined): number =>
  finding?.keys.filter((k) => k.active).length ?? 0;

const day = (iso: string | undefined): string | undefined => iso?.slice(0, 10);

/**
 * One sentence for a notification or a terminal: which root keys are active, since when and
 * where they were last used, then the advice.
 */
export function describeRootKeyFinding(finding: RootKeyFinding): string {
  const keys = finding.keys
    .filter((k) => k.active)
    .map((k) => {
      const where = [k.lastUsedService, k.lastUsedRegion].filter(Boolean).join(' in ');
      const used = k.lastUsed
        ? `last used ${day(k.lastUsed)}${where ? ` (${where})` : ''}`
        : 'never used';
      return `key ${k.slot} created ${day(k.lastRotated) ?? 'at an unknown date'}, ${used}`;
    });
  const account = finding.account ? ` of account ${finding.account}` : '';
  return (
    `The root user${account} has ${keys.length} active access key(s) ` +
    `(Security Hub ${finding.control}, critical): ${keys.join('; ')}. ${finding.advice}`
  );
}
