import { AwsTransientError } from '../lambdas/shared/errors';

/**
 * Infrastructure and throttling failures of a Lambda task, retried by every rekey state machine
 * (each step is idempotent, so retrying is safe). The Lambda.* names are those CDK's own default
 * Lambda retry lists, which rekey turns off (retryOnServiceExceptions: false) in favour of this
 * one list with its own backoff.
 */
export const TRANSIENT_ERRORS: readonly string[] = [
  AwsTransientError.errorName,
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Runtime.ExitError',
  'Sandbox.Timedout',
  'States.Timeout',
];
