import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { deleteOldKey } from './core';

const deps = rotationDeps();

/** Step 8 of the rotation: delete the old key. */
export const handler = handlerFor((state: RotationState) => deleteOldKey(state, deps));
