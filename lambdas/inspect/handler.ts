import { sfnClient } from '../shared/sfn-client';
import { handlerFor, rotationDeps } from '../shared/runtime';
import { inspect, type InspectDeps, type InspectEvent } from './core';

const deps: InspectDeps = { ...rotationDeps(), sfn: sfnClient() };

/** Step 1 of the rotation: validate the input and decide. */
export const handler = handlerFor((event: InspectEvent) => inspect(event, deps));
