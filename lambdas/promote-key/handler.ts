import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { promoteKey } from './core';

const deps = rotationDeps();

/** Step 4 of the rotation: make the new key AWSCURRENT. */
export const handler = handlerFor((state: RotationState) => promoteKey(state, deps));
