import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { checkCutover } from './core';

const deps = rotationDeps();

/** Step 5 of the rotation: one check of the keys' last use. */
export const handler = handlerFor((state: RotationState) => checkCutover(state, deps));
