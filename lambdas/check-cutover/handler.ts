import { cloudTrailClients } from './cloudtrail-clients';
import { clock, sleep } from '../shared/clock';
import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RecoveryWindowState, RotationState } from '../shared/types';
import type { AttributionDeps } from './attribution';
import { checkCutover } from './core';
import { forensics, isForensicsCheck, type ForensicsCheck } from './forensics';
import { checkRecoveryWindow, isRecoveryWindowCheck, type RecoveryWindowCheck } from './recovery';

const deps = rotationDeps();
/** Off unless the construct enabled it (and so granted cloudtrail:LookupEvents). */
const attribution: AttributionDeps | undefined = deps.config.attribution.enabled
  ? {
      cloudTrail: cloudTrailClients(),
      clock,
      sleep,
      settings: deps.config.attribution,
      homeRegion: process.env.AWS_REGION ?? 'us-east-1',
    }
  : undefined;

/**
 * The rotation's read-only checks while it waits: step 5, one check of the keys' last use; and
 * at least every three days in the recovery window, whether the secret is still there. One
 * function for both, so the recovery-window check runs with this role's read-only permissions
 * (no new role, nothing to delete).
 */
export const handler = handlerFor(
  (
    event: RotationState | RecoveryWindowCheck | ForensicsCheck,
  ): Promise<RotationState | RecoveryWindowState> =>
    isForensicsCheck(event)
      ? forensics(event.state, deps, attribution)
      : isRecoveryWindowCheck(event)
        ? checkRecoveryWindow(event.state, deps)
        : checkCutover(event, deps, attribution),
);
