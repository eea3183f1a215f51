import type { Context } from 'aws-lambda';
import { clock } from './clock';
import { eventBridgeClient, iamClient, secretsClient, snsClient } from './clients';
import { loadConfig } from './config';
import type { Deps } from './deps';
import { logger } from './logger';
import { createTelemetry } from './telemetry';

/** The dependencies of a rotation core in Lambda: built once per container, at module load. */
export function rotationDeps(): Deps {
  const config = loadConfig();
  const telemetry = createTelemetry({
    eventBridge: eventBridgeClient(),
    sns: snsClient(),
    eventBusName: config.eventBusName,
    topicArn: config.topicArn,
  });
  return { iam: iamClient(), secrets: secretsClient(), telemetry, clock, config };
}

/** Wraps a core as a handler: fresh log keys and the Lambda context for each invocation. */
export function handlerFor<E, R>(
  core: (event: E) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.resetKeys();
    logger.addContext(context);
    return core(event);
  };
}
