import { Metrics } from '@aws-lambda-powertools/metrics';
import { handlerFor, rotationDeps } from '../shared/runtime';
import type { RotationState } from '../shared/types';
import { report, type ReportDeps } from './core';
import { METRICS_SERVICE } from '../shared/metrics';

const deps: ReportDeps = {
  ...rotationDeps(),
  metrics: new Metrics({ serviceName: METRICS_SERVICE }),
};

/** Step 9 of the rotation: report completion. */
export const handler = handlerFor((state: RotationState) => report(state, deps));
