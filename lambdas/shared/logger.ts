import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger for every rekey function. Log fields are chosen one by one: never log an event,
 * an SDK response or an error's cause whole, since those can carry a secret access key (I4).
 */
export const logger = new Logger({ serviceName: 'rekey' });
