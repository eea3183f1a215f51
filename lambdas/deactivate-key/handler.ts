import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { deactivateOldKey } from './core';

const deps = rotationDeps();

/** Step 6 of the rotation: deactivate the old key. */
export const handler = handlerFor((state: RotationState) => deactivateOldKey(state, deps));
