import { iamClientWithoutRetries } from '../shared/clients';
import { sfnClient } from '../shared/sfn-client';
import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { stageKey, type StageDeps } from './core';

const deps: StageDeps = {
  ...rotationDeps(),
  iamOnce: iamClientWithoutRetries(),
  sfn: sfnClient(),
};

/** Step 2 of the rotation: create the new key and stage it as AWSPENDING. */
export const handler = handlerFor((state: RotationState) => stageKey(state, deps));
