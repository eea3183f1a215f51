import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { stsWithKey, verifyKey, type VerifyDeps } from './core';

const deps: VerifyDeps = { ...rotationDeps(), sts: stsWithKey };

/** Step 3 of the rotation: prove the new key works. */
export const handler = handlerFor((state: RotationState) => verifyKey(state, deps));
