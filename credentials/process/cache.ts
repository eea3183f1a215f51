/**
 * The cache file: the one place besides Secrets Manager where `rekey credentials` keeps a key.
 * Mode 0600 in a directory kept at 0700, written whole under a temporary name and renamed, so
 * that no reader ever sees half a file and no other file in the directory holds a secret.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  chmodSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
  fsyncSync,
} from 'node:fs';
import * as path from 'node:path';
import { EXIT, ProcessError } from './errors';

/** A key read from the secret, and when (service time). */
export interface CachedKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly readAt: Date;
}

/** What a cache file holds; the secret id guards against a file written for another secret. */
interface CacheFile {
  readonly Version: 1;
  readonly SecretId: string;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly ReadAt: string;
}

/**
 * One file per secret, region and endpoint (a sandbox's rekey/alice is not AWS's): a readable
 * part of the secret id, then a hash of all three.
 */
export function cacheFile(
  dir: string,
  identity: { secretId: string; region?: string; endpoint?: string },
): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([identity.secretId, identity.region ?? '', identity.endpoint ?? '']))
    .digest('hex')
    .slice(0, 16);
  const readable = identity.secretId.replace(/[^A-Za-z0-9._-]/g, '_').slice(-64);
  return path.join(dir, `${readable}.${hash}.json`);
}

const uid = (): number | undefined => process.getuid?.();

/**
 * The cached key, or undefined with the reason when there is none to trust: absent, not a
 * regular file of ours, readable by others, or not what this program writes.
 */
export function readCache(file: string, secretId: string): { key?: CachedKey; ignored?: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { ignored: `cannot open it (${code ?? 'error'})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ignored: 'it is not a regular file' };
    if (uid() !== undefined && stat.uid !== uid()) return { ignored: 'it belongs to another user' };
    if ((stat.mode & 0o077) !== 0) return { ignored: 'others may read it (mode is not 0600)' };
    return parseCache(readFileSync(fd, 'utf8'), secretId);
  } finally {
    closeSync(fd);
  }
}

function parseCache(text: string, secretId: string): { key?: CachedKey; ignored?: string } {
  let value: Partial<CacheFile>;
  try {
    value = JSON.parse(text) as Partial<CacheFile>;
  } catch {
    return { ignored: 'it is not JSON' };
  }
  const readAt = typeof value.ReadAt === 'string' ? new Date(value.ReadAt) : undefined;
  if (
    value?.Version !== 1 ||
    typeof value.AccessKeyId !== 'string' ||
    typeof value.SecretAccessKey !== 'string' ||
    !readAt ||
    Number.isNaN(readAt.getTime())
  ) {
    return { ignored: 'it is not a rekey credentials cache file' };
  }
  if (value.SecretId !== secretId) return { ignored: `it was written for ${value.SecretId}` };
  return {
    key: {
      accessKeyId: value.AccessKeyId,
      secretAccessKey: value.SecretAccessKey,
      readAt,
    },
  };
}

/**
 * Creates the directory (0700) or checks an existing one: it must be a real directory of ours.
 * A looser mode is tightened, since the directory holds keys.
 */
function ensureDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) throw new Error('it is not a directory');
    if (uid() !== undefined && stat.uid !== uid()) throw new Error('it belongs to another user');
    if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProcessError(
      `cannot keep the cache in ${dir}: ${reason}; pass --cache-dir`,
      EXIT.setup,
    );
  }
}

/** Replaces the cache file with `key`, atomically, never leaving a second copy behind. */
export function writeCache(file: string, secretId: string, key: CachedKey): void {
  const dir = path.dirname(file);
  ensureDirectory(dir);
  const content: CacheFile = {
    Version: 1,
    SecretId: secretId,
    AccessKeyId: key.accessKeyId,
    SecretAccessKey: key.secretAccessKey,
    ReadAt: key.readAt.toISOString(),
  };
  const temporary = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  let renamed = false;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(content)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    renamed = true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ProcessError(`cannot write the cache file ${file} (${code})`, EXIT.setup);
  } finally {
    if (!renamed) {
      try {
        unlinkSync(temporary);
      } catch {
        // Never created, or already gone.
      }
    }
  }
}
