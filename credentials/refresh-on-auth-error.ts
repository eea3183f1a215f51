import type {
  HandlerExecutionContext,
  InitializeHandlerOptions,
  InitializeMiddleware,
  Pluggable,
} from '@smithy/types';
import type { RekeyCredentialProvider } from './from-rekey-secret';

/**
 * Error codes with which AWS rejects the access key itself (unknown, deactivated or deleted
 * key, or a secret that does not match it): query services (IAM, STS, SNS), JSON services
 * (Secrets Manager, Step Functions, DynamoDB…) and S3.
 */
const AUTH_ERROR_CODES: ReadonlySet<string> = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);

const MIDDLEWARE_OPTIONS: InitializeHandlerOptions = {
  step: 'initialize',
  name: 'rekeyRefreshOnAuthErrorMiddleware',
  tags: ['REKEY', 'CREDENTIALS'],
  // Adding the plugin twice to one client replaces it instead of throwing.
  override: true,
};

/**
 * True when an SDK error says AWS rejected the access key that signed the request. Checks
 * `name` (modeled and unmodeled errors) and `Code` (the wire code of query-protocol errors).
 */
export function isAuthError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  return (
    (typeof name === 'string' && AUTH_ERROR_CODES.has(name)) ||
    (typeof Code === 'string' && AUTH_ERROR_CODES.has(Code))
  );
}

/**
 * An SDK v3 plugin that, when a request fails because AWS rejected the access key, marks the
 * provider's credentials stale so that the client's next request reads the secret again and
 * signs with the key it now holds. The failed request itself is not retried: its error reaches
 * the caller unchanged.
 *
 * @example
 * const sts = new STSClient({ credentials });
 * sts.middlewareStack.use(rekeyRefreshOnAuthError(credentials));
 */
export function rekeyRefreshOnAuthError<Input extends object, Output extends object>(
  provider: Pick<RekeyCredentialProvider, 'invalidate'>,
): Pluggable<Input, Output> {
  const middleware: InitializeMiddleware<Input, Output> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (isAuthError(error)) provider.invalidate(signingAccessKeyId(context));
      throw error;
    }
  };
  return { applyToStack: (stack) => stack.add(middleware, MIDDLEWARE_OPTIONS) };
}

/**
 * The access key that signed the failed request, so that a late failure of a request signed
 * with the old key does not discard a key that was already refreshed. Undefined when the SDK
 * does not expose it; the provider then invalidates whatever it holds.
 */
function signingAccessKeyId(context: HandlerExecutionContext): string | undefined {
  const identity: unknown = context.__smithy_context?.selectedHttpAuthScheme?.identity;
  if (typeof identity !== 'object' || identity === null) return undefined;
  const { accessKeyId } = identity as { accessKeyId?: unknown };
  return typeof accessKeyId === 'string' ? accessKeyId : undefined;
}
