import type { EmergencySettings } from '../shared/config';
import { InvalidInputError, TwoActiveKeysError, UserNotManagedError } from '../shared/errors';
import type { AccessKey } from '../shared/keys';
import type { EmergencyRequest, RotationPolicy } from '../shared/types';
import { labelledKeys, planRotation, ref, type Plan, type PlanInput } from './plan';

/**
 * An emergency's plan: the key-slot table of docs/design.md, read for an exposed key. The
 * exposed key is the old key in every plan that rotates. No new key is created when the user's
 * other active key is already AWSCURRENT (it is kept), or is the AWSPENDING of an interrupted
 * rotation (it is verified and promoted). Otherwise, with two active keys, rekey stops and says
 * what to do: cutting the exposed key off while the secret names it would leave applications a
 * dead key (I2), and rekey never deletes an active key to make room.
 */
export async function planEmergency(
  p: PlanInput,
  emergency: EmergencyRequest,
): Promise<Plan & { readonly keptKey?: string }> {
  const exposedId = emergency.accessKeyId;
  const exposed = p.keys.find((k) => k.accessKeyId === exposedId);
  if (!exposed) {
    const held = p.keys.map((k) => `${k.accessKeyId} (${k.status.toLowerCase()})`).join(', ');
    throw new InvalidInputError(
      `${exposedId} is not an access key of ${p.userName} (${held ? `it holds ${held}` : 'it holds none'}). ` +
        'Nothing was changed. Check the key id, or the user: `aws iam get-access-key-last-used ' +
        `--access-key-id ${exposedId}\` names its owner.`,
    );
  }
  if (p.resolved.notSelected) {
    // rekey was told not to manage this user: cut nothing off, and say how to do it by hand.
    throw new UserNotManagedError(
      `EMERGENCY, nothing was changed: ${exposedId} of ${p.userName} is exposed (${emergency.reason}), but rekey ` +
        `does not manage ${p.userName} (${p.resolved.notSelected}). Cut the key off by hand now: aws iam ` +
        `update-access-key --user-name ${p.userName} --access-key-id ${exposedId} --status Inactive.`,
    );
  }
  const others = p.keys.filter((k) => k.accessKeyId !== exposedId && k.status === 'Active');
  const [other] = others;
  if (exposed.status === 'Active' && !other) {
    // The one active key is the exposed one: an ordinary rotation of it, whatever its age and
    // any exemption (an exemption defers a planned rotation; it cannot keep an exposed key).
    const plan = await planRotation({ ...p, resolved: { ...p.resolved, exemption: undefined } });
    if (plan.decision !== 'rotate' || plan.oldKey.accessKeyId !== exposedId) return plan;
    return { ...plan, reason: `emergency: ${exposedId} is exposed (${emergency.reason})` };
  }
  const labels = await labelledKeys(p);
  const usable = (versionId: string | undefined): versionId is string =>
    versionId !== undefined && labels.withSecret.has(versionId);
  if (other && labels.current === other.accessKeyId && usable(p.stages?.current)) {
    return keep(exposed, other, p.stages.current, labels.stagedAt, emergency);
  }
  if (
    other &&
    exposed.status === 'Active' &&
    labels.pending === other.accessKeyId &&
    labels.current === exposedId &&
    usable(p.stages?.pending)
  ) {
    return {
      decision: 'rotate',
      oldKey: ref(exposed),
      resumed: 'staged',
      newKey: {
        ...ref(other),
        versionId: p.stages.pending,
        stagedAt: labels.stagedAt[p.stages.pending] ?? other.createDate,
      },
      reason:
        `emergency: ${exposedId} is exposed (${emergency.reason}); the interrupted rotation's ` +
        `new key ${other.accessKeyId} is verified and promoted, and no key is created`,
    };
  }
  if (exposed.status === 'Inactive') {
    return {
      decision: 'skip',
      oldKey: ref(exposed),
      reason:
        `emergency: ${exposedId} is exposed (${emergency.reason}) but already inactive, and the ` +
        `secret's AWSCURRENT does not name an active key of ${p.userName} that rekey could keep. ` +
        `Nothing was changed. Delete the key once you have read its CloudTrail events: aws iam ` +
        `delete-access-key --user-name ${p.userName} --access-key-id ${exposedId}`,
    };
  }
  const where =
    labels.current === exposedId
      ? `the secret ${p.secretId} gives applications the exposed key (AWSCURRENT)`
      : other && labels.current === other.accessKeyId
        ? `the secret ${p.secretId} names ${other.accessKeyId} but holds no secret access key for it (a baseline, written before rekey's first rotation), so rekey cannot verify it`
        : p.stages
          ? `the secret ${p.secretId} does not hold ${other?.accessKeyId ?? 'the other key'}`
          : `the secret ${p.secretId} does not exist`;
  throw new TwoActiveKeysError(
    `EMERGENCY, nothing was changed: ${exposedId} of ${p.userName} is exposed (${emergency.reason}), ` +
      `and the user's other active key ${other?.accessKeyId ?? ''} is not one rekey can hand to ` +
      `applications: ${where}. rekey never creates a third key, never deletes an active key, and ` +
      'never cuts off the key the secret names. Now: deactivate the exposed key yourself if its ' +
      `applications can take the outage (aws iam update-access-key --user-name ${p.userName} ` +
      `--access-key-id ${exposedId} --status Inactive); or deactivate ${other?.accessKeyId ?? 'the other key'} ` +
      'if no application needs it (rekey report shows its last use) and start the emergency ' +
      'rotation again: rekey then creates a new key and cuts the exposed one off at once.',
  );
}

function keep(
  exposed: AccessKey,
  other: AccessKey,
  versionId: string,
  stagedAt: Record<string, string>,
  emergency: EmergencyRequest,
): Plan & { readonly keptKey: string } {
  const cut =
    exposed.status === 'Active'
      ? 'it is cut off now'
      : 'it is already inactive and is deleted after the emergency recovery window';
  return {
    decision: 'rotate',
    oldKey: ref(exposed),
    resumed: 'promoted',
    newKey: {
      ...ref(other),
      versionId,
      stagedAt: stagedAt[versionId] ?? other.createDate,
    },
    keptKey: other.accessKeyId,
    reason:
      `emergency: ${exposed.accessKeyId} is exposed (${emergency.reason}); ${cut}. The secret's ` +
      `AWSCURRENT already holds the other active key ${other.accessKeyId}, which is kept: no key is created`,
  };
}

/**
 * The policy an emergency runs with: the cutover is the grace (enforced at its end, whatever the
 * last-used data says), and the recovery window is the emergency's own.
 */
export function emergencyPolicy(
  policy: RotationPolicy,
  settings: EmergencySettings,
): RotationPolicy {
  return {
    ...policy,
    cutoverDeadlineSeconds: settings.graceSeconds,
    deadlineAction: 'enforce',
    recoveryWindowSeconds: settings.recoveryWindowSeconds,
  };
}
