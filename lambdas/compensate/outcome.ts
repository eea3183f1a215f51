import type { Deps } from '../shared/deps';
import { AS_IT_WAS_OUTCOMES } from '../shared/failed-states';
import { listKeys, type AccessKey } from '../shared/keys';
import {
  deletionSchedule,
  describeStages,
  keyIdOfVersion,
  restoreCommand,
  UnreadableSecretError,
} from '../shared/secret';
import type { RotationState } from '../shared/types';

/**
 * Where a failed rotation left the user, named from a final read of IAM and the secret, never
 * from the path compensation took (I6: as it was, or safely published).
 */
export type Outcome =
  | 'unchanged'
  | 'restored'
  | 'published'
  | 'old-key-deactivated'
  | 'old-key-deleted'
  | 'old-key-current'
  | 'secret-deleted'
  | 'no-working-current'
  | 'no-active-key'
  | 'unknown'
  | 'compensation-failed';

export type SecretState =
  | { readonly kind: 'missing' }
  | {
      readonly kind: 'present';
      readonly deletedDate?: string;
      /** The key AWSCURRENT holds; null when its value names no key rekey can read. */
      readonly currentKeyId?: string | null;
    };

export interface FinalState {
  readonly keys: readonly AccessKey[];
  readonly secret: SecretState;
  /** When it was read: dates a scheduled deletion (see deletionSchedule). */
  readonly readAt?: Date;
}

/** Reads the user's keys and the secret's AWSCURRENT as they are now (ids only, never a secret). */
export async function readFinalState(deps: Deps, state: RotationState): Promise<FinalState> {
  const keys = await listKeys(deps.iam, state.userName);
  const stages = await describeStages(deps.secrets, state.secretId);
  const readAt = deps.clock.now();
  if (!stages) return { keys, secret: { kind: 'missing' }, readAt };
  let currentKeyId: string | null | undefined;
  if (stages.current && stages.deletedDate === undefined) {
    try {
      currentKeyId = (await keyIdOfVersion(deps.secrets, state.secretId, stages.current))
        .accessKeyId;
    } catch (error) {
      if (!(error instanceof UnreadableSecretError)) throw error;
      currentKeyId = null;
    }
  }
  return {
    keys,
    secret: { kind: 'present', deletedDate: stages.deletedDate, currentKeyId },
    readAt,
  };
}

export interface OutcomeInput {
  readonly state: RotationState;
  readonly final: FinalState;
  /** Keys compensation deleted: the unpublished new key, and proven orphans. */
  readonly discarded: readonly string[];
  /** Keys rekey left alone because it cannot prove it created them. */
  readonly unknown: readonly string[];
  /** The failure was the secret going away. */
  readonly secretGone: boolean;
}

const statusOf = (keys: readonly AccessKey[], id: string | undefined): string =>
  id === undefined ? 'none' : (keys.find((k) => k.accessKeyId === id)?.status ?? 'deleted');

export interface OutcomeDescription {
  readonly outcome: Outcome;
  /** One paragraph saying exactly what is left. */
  readonly text: string;
  /**
   * The user is as it was before the rotation: the outcome is `unchanged` or `restored`, and no
   * key is active besides the old one (none that rekey left alone because it cannot prove it
   * created it, none that another rotation staged). It picks the Fail state the execution ends
   * in (lambdas/shared/failed-states.ts).
   */
  readonly asItWas: boolean;
}

/** The outcome, what is left, and whether the user is as it was. */
export function describeOutcome(input: OutcomeInput): OutcomeDescription {
  const { state, final, discarded } = input;
  const oldId = state.oldKey?.accessKeyId;
  const newId = state.newKey?.accessKeyId;
  const old = statusOf(final.keys, oldId);
  const fresh = statusOf(final.keys, newId);
  const active = final.keys.filter((k) => k.status === 'Active');
  const secret = final.secret;
  const extra = [
    discarded.filter((id) => id !== newId).length > 0
      ? `rekey deleted ${discarded.filter((id) => id !== newId).join(', ')}, which it had created and never published.`
      : '',
    input.unknown.length > 0
      ? `rekey left alone ${input.unknown.join(', ')}, which it cannot prove it created.`
      : '',
  ].filter(Boolean);
  const done = (outcome: Outcome, text: string, asItWas = false): OutcomeDescription => ({
    outcome,
    text: [text, ...extra].join(' '),
    asItWas: asItWas && (AS_IT_WAS_OUTCOMES as readonly Outcome[]).includes(outcome),
  });
  // Where the new key's secret access key is: in the secret while it exists (scheduled for
  // deletion or not), nowhere rekey can read once it is gone.
  const whereSecret =
    fresh !== 'Active'
      ? ''
      : secret.kind === 'missing'
        ? '; its secret access key was only in that secret and went with it (applications that already read it still hold it)'
        : ', and its secret access key exists only in that secret';
  const keySentence = (): string =>
    [
      oldId ? `The old key ${oldId} is ${old.toLowerCase()}.` : '',
      newId ? `The new key ${newId} is ${fresh.toLowerCase()}${whereSecret}.` : '',
    ]
      .filter(Boolean)
      .join(' ');

  if (secret.kind === 'missing' && (newId !== undefined || input.secretGone)) {
    return done(
      'secret-deleted',
      `The secret ${state.secretId} no longer exists. ${keySentence()}`,
    );
  }
  if (secret.kind === 'present' && secret.deletedDate !== undefined) {
    // A SecretDeletedError already said when it goes and how to restore it.
    const when = input.secretGone
      ? ''
      : `: ${deletionSchedule(secret.deletedDate, final.readAt)}; restore it before then (${restoreCommand(state.secretId)}) to keep it`;
    return done(
      'secret-deleted',
      `The secret ${state.secretId} is scheduled for deletion${when}. ${keySentence()}`,
    );
  }
  const current = secret.kind === 'present' ? secret.currentKeyId : undefined;
  const currentActive = active.some((k) => k.accessKeyId === current);
  if (old === 'Active' && (current === oldId || secret.kind === 'missing')) {
    if (fresh === 'Active') {
      return done(
        'old-key-current',
        `The old key ${oldId} is active and current; the new key ${newId} is active too, but not current.`,
      );
    }
    // A key this rotation cannot prove it staged (another rotation's, say) is named, not hidden.
    const alsoActive = active
      .filter((k) => k.accessKeyId !== oldId && !input.unknown.includes(k.accessKeyId))
      .map((k) => k.accessKeyId);
    const others =
      alsoActive.length > 0
        ? ` ${alsoActive.join(', ')} ${alsoActive.length === 1 ? 'is' : 'are'} active too; compensation left ${alsoActive.length === 1 ? 'it as it is' : 'them as they are'}.`
        : '';
    // "Nothing was changed", and the user as it was, only where no key appeared that
    // compensation could not account for.
    const untouched = input.unknown.length === 0 && alsoActive.length === 0;
    if (newId !== undefined && !discarded.includes(newId)) {
      const result = done(
        'restored',
        `The old key ${oldId} is active and current; the new key ${newId} ${fresh === 'deleted' ? 'no longer exists (removed outside rekey)' : 'is inactive (deactivated outside rekey)'}.`,
        untouched,
      );
      return { ...result, text: `${result.text}${others}` };
    }
    const lead = untouched
      ? discarded.length > 0
        ? 'The user is as it was: '
        : 'Nothing was changed: '
      : '';
    const oldCurrent = `${lead ? 'the' : 'The'} old key ${oldId} is active and current`;
    const result =
      newId && discarded.includes(newId)
        ? done('restored', `${lead}${oldCurrent}; the new key ${newId} was deleted.`, untouched)
        : done(discarded.length > 0 ? 'restored' : 'unchanged', `${lead}${oldCurrent}.`, untouched);
    return { ...result, text: `${result.text}${others}` };
  }
  if (newId !== undefined && current === newId && fresh === 'Active') {
    if (old === 'Active')
      return done(
        'published',
        `Both keys are active and the new key ${newId} is current in the secret.`,
      );
    if (old === 'Inactive')
      return done(
        'old-key-deactivated',
        `The new key ${newId} is active and current; the old key ${oldId} is inactive and was not deleted.`,
      );
    return done(
      'old-key-deleted',
      `The new key ${newId} is active and current; the old key ${oldId} no longer exists.`,
    );
  }
  if (active.length === 0) {
    return done(
      'no-active-key',
      `No key of ${state.userName} is active any more (changed outside rekey): reactivate one and make it AWSCURRENT of ${state.secretId} by hand.`,
    );
  }
  if (!currentActive) {
    const holds =
      current === null ? 'a value that names no key' : current === undefined ? 'nothing' : current;
    return done(
      'no-working-current',
      `AWSCURRENT of ${state.secretId} holds ${holds}, which is not an active key of ${state.userName}: move AWSCURRENT to the version holding the active key ${active.map((k) => k.accessKeyId).join(' or ')}.`,
    );
  }
  return done('unknown', `AWSCURRENT holds the active key ${current}. ${keySentence()}`);
}
