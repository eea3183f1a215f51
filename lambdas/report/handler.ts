import { Metrics } from '@aws-lambda-powertools/metrics';
import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { report, type ReportDeps } from './core';

const deps: ReportDeps = { ...rotationDeps(), metrics: new Metrics({ serviceName: 'rekey' }) };

/** Step 9 of the rotation: report completion. */
export const handler = handlerFor((state: RotationState) => report(state, deps));
