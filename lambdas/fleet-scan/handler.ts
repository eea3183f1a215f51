import { Metrics } from '@aws-lambda-powertools/metrics';
import { clock } from '../shared/clock';
import { eventBridgeClient, iamClient, snsClient } from '../shared/clients';
import { sfnClient } from '../shared/sfn-client';
import { loadConfig } from '../shared/config';
import { METRICS_SERVICE } from '../shared/metrics';
import { handlerFor } from '../shared/runtime';
import { createTelemetry } from '../shared/telemetry';
import { scan, type ScanDeps, type ScanEvent } from './core';

const config = loadConfig();
const deps: ScanDeps = {
  iam: iamClient(),
  sfn: sfnClient(),
  telemetry: createTelemetry({
    eventBridge: eventBridgeClient(),
    sns: snsClient(),
    eventBusName: config.eventBusName,
    topicArn: config.topicArn,
  }),
  // The namespace comes from POWERTOOLS_METRICS_NAMESPACE, which the construct sets.
  metrics: new Metrics({ serviceName: METRICS_SERVICE }),
  clock,
  config,
};

/** Fleet scan step 2: decide every user and start the due rotations. */
export const handler = handlerFor((event: ScanEvent) => scan(event, deps));
