import { awsErrorCode } from '../lambdas/shared/errors';

/** Exit codes, documented in `rekey --help`. */
export const EXIT = {
  ok: 0,
  /** The rotation failed or was refused, rollback refused, or the compliance gate failed. */
  failed: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** No credentials or region, the stack is missing, AWS cannot be reached or refused us. */
  setup: 3,
  /** The IAM user does not exist. */
  notFound: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** An error the CLI explains in one message and ends with a specific exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError =>
  new CliError(message, EXIT.usage, 'UsageError');

const NO_CREDENTIALS =
  'no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
  'pass --profile, or use `rekey sandbox` for a local account';

/** Turns what the SDK throws into a message an operator can act on. */
export function explain(error: unknown, ctx: { region?: string; endpoint?: string }): CliError {
  if (error instanceof CliError) return error;
  const code = awsErrorCode(error) ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const where = ctx.endpoint ?? `AWS (${ctx.region ?? 'no region'})`;
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CliError(NO_CREDENTIALS, EXIT.setup, 'NoCredentials', { cause: error });
  }
  if (/Region is missing/i.test(message)) {
    return new CliError(
      'no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile',
      EXIT.setup,
      'NoRegion',
      { cause: error },
    );
  }
  const network = (error as { code?: unknown }).code;
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EAI_AGAIN'].includes(String(network)) ||
    /ECONNREFUSED|ENOTFOUND/.test(message)
  ) {
    return new CliError(
      `cannot reach ${where}: ${message}${ctx.endpoint ? ' (is `rekey sandbox` running?)' : ''}`,
      EXIT.setup,
      'Unreachable',
      { cause: error },
    );
  }
  if (
    [
      'InvalidClientTokenId',
      'UnrecognizedClientException',
      'SignatureDoesNotMatch',
      'InvalidSignatureException',
      'ExpiredToken',
      'ExpiredTokenException',
    ].includes(code)
  ) {
    return new CliError(
      `${where} refused the credentials (${code}): check AWS_PROFILE / AWS_ACCESS_KEY_ID, or log in again`,
      EXIT.setup,
      code,
      { cause: error },
    );
  }
  if (/AccessDenied|UnauthorizedOperation|AuthorizationError/.test(code)) {
    return new CliError(`permission denied: ${message}`, EXIT.setup, code, { cause: error });
  }
  return new CliError(code ? `${code}: ${message}` : message, EXIT.failed, code || 'Error', {
    cause: error,
  });
}
