import { handlerFor, rotationDeps } from '../shared/runtime';
import { compensate, type CompensateEvent } from './core';

const deps = rotationDeps();

/** On failure: restore a safe state, report, and let the state machine fail. */
export const handler = handlerFor((event: CompensateEvent) => compensate(event, deps));
