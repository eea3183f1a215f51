/**
 * `rekey credentials`: a credential_process for the AWS CLI, every AWS SDK and Terraform.
 * The AWS CLI runs it before every command, so the answer from a fresh cache uses Node's own
 * modules only; the AWS SDK is loaded (read-secret.ts) only when the secret must be read.
 */
import { cacheFile, readCache, writeCache, type CachedKey } from './cache';
import { EXIT, ProcessError, type ExitCode } from './errors';
import { BOOTSTRAP_MARK, parseOptions, USAGE, type ProcessOptions } from './options';
import { serviceTime } from './service-time';

export interface ProcessIo {
  readonly env: NodeJS.ProcessEnv;
  /** stdout: the credentials JSON and nothing else. */
  readonly out: (text: string) => void;
  /** stderr: messages, never a secret. */
  readonly err: (text: string) => void;
}

/** The Version 1 document the AWS CLI and SDKs read from a credential_process. */
function credentialsJson(key: CachedKey, expiration: Date): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: key.accessKeyId,
    SecretAccessKey: key.secretAccessKey,
    Expiration: expiration.toISOString(),
  })}\n`;
}

async function answer(options: ProcessOptions, io: ProcessIo): Promise<void> {
  const log = (message: string): void => io.err(`rekey credentials: ${message}\n`);
  const intervalMs = options.refreshIntervalSeconds * 1000;
  const file = cacheFile(options.cacheDir, {
    secretId: options.secretId,
    region: options.region,
    endpoint: options.endpoint,
  });
  const { key: cached, ignored } = readCache(file, options.secretId);
  if (ignored) log(`ignoring the cache file ${file}: ${ignored}`);
  const now = await serviceTime(options.endpoint);
  const age = cached ? now.getTime() - cached.readAt.getTime() : Infinity;
  // The caller's clock judges Expiration, whatever the service's clock says.
  const expiration = new Date(Date.now() + intervalMs);
  if (cached && age >= 0 && age < intervalMs) {
    io.out(credentialsJson(cached, expiration));
    return;
  }
  const { readSecret } = await import('./read-secret');
  const { key, signedWith } = await readSecret(options, cached, log);
  const fresh: CachedKey = { ...key, readAt: now };
  writeCache(file, options.secretId, fresh);
  if (key.accessKeyId !== cached?.accessKeyId) {
    log(
      `now using access key ${key.accessKeyId} from ${options.secretId} (read with ${signedWith})`,
    );
  }
  io.out(credentialsJson(fresh, expiration));
}

/** Runs `rekey credentials <args>`; resolves to the exit code, having written its output. */
export async function runCredentialProcess(
  args: readonly string[],
  io: ProcessIo,
): Promise<ExitCode> {
  try {
    if (io.env[BOOTSTRAP_MARK]) {
      throw new ProcessError(
        'started again while resolving its own bootstrap profile: the bootstrap profile must ' +
          'hold credentials of its own (keys, SSO, a role), not run rekey credentials',
        EXIT.setup,
      );
    }
    const parsed = parseOptions(args, io.env);
    if (parsed.help) {
      io.out(USAGE);
      return EXIT.ok;
    }
    await answer(parsed.options, io);
    return EXIT.ok;
  } catch (error) {
    const failure =
      error instanceof ProcessError
        ? error
        : new ProcessError(error instanceof Error ? error.message : String(error), EXIT.failed);
    io.err(`rekey credentials: ${failure.message}\n`);
    return failure.exitCode;
  }
}

/** The process entry point (bin/rekey-credentials.js and `rekey credentials`). */
export function run(args: readonly string[]): void {
  void runCredentialProcess(args, {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  });
}
