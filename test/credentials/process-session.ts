/**
 * A sandbox session of `rekey credentials` runs: homes of their own, each run's output and AWS
 * calls, and the I4 check over all of them (no secret on stderr, none in any cache-directory file
 * but the cache files, no file left behind by a write).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CallRecord } from '../../sandbox/contracts';
import type { Sandbox } from '../../sandbox/sandbox';
import { makeHome, runCredentials, type Home, type Key, type ProcessRun } from './process-helpers';

export const REFRESH_SECONDS = 1200;

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

/** The Version 1 document, checked for exactly its four fields. */
export function printed(run: ProcessRun): Key & { expiration: Date } {
  const doc = JSON.parse(run.stdout) as Record<string, unknown>;
  expect(Object.keys(doc).sort()).toEqual([
    'AccessKeyId',
    'Expiration',
    'SecretAccessKey',
    'Version',
  ]);
  expect(doc.Version).toBe(1);
  return {
    accessKeyId: String(doc.AccessKeyId),
    secretAccessKey: String(doc.SecretAccessKey),
    expiration: new Date(String(doc.Expiration)),
  };
}

/** The secret reads among `calls`: the signing key (or `refused`), status and error code. */
export const reads = (calls: readonly CallRecord[]): string[] =>
  calls
    .filter((c) => c.operation === 'GetSecretValue')
    // The emulator names no key for a request it refused to authenticate.
    .map((c) => `${c.accessKeyId ?? 'refused'} ${c.status} ${c.errorCode ?? ''}`.trim());

export class ProcessSession {
  readonly homes: Home[] = [];
  readonly runs: ProcessRun[] = [];

  /** `sandbox` is read at each call: the tests start it in beforeAll. */
  constructor(private readonly sandbox: () => Sandbox) {}

  readonly home = (): Home => {
    const made = makeHome();
    this.homes.push(made);
    return made;
  };

  /** `--secret-id <prefix><user>` and any further arguments. */
  readonly forUser = (user: string, ...extra: string[]): string[] => [
    '--secret-id',
    `${this.sandbox().secretPrefix}${user}`,
    ...extra,
  ];

  /** Runs `rekey credentials` on the sandbox (region and endpoint added); its AWS calls too. */
  readonly credentials = async (
    h: Home,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<{ run: ProcessRun; calls: CallRecord[] }> => {
    const sb = this.sandbox();
    const mark = sb.emulator.calls.length;
    const run = await runCredentials(
      [...args, '--region', sb.region, '--endpoint-url', sb.endpoint],
      { ...h.env, ...env },
    );
    this.runs.push(run);
    return { run, calls: sb.emulator.calls.slice(mark) };
  };

  /** I4 over every run and home so far: where a secret access key appears that must not. */
  leaks(): string[] {
    const secrets = this.sandbox().emulator.state.accessKeys.map((k) => k.secretAccessKey);
    const found: string[] = [];
    for (const run of this.runs) {
      if (secrets.some((s) => run.stderr.includes(s))) found.push(`stderr: ${run.stderr}`);
    }
    for (const h of this.homes) {
      for (const file of filesUnder(path.join(h.dir, 'cache'))) {
        const isCacheFile = path.dirname(file) === h.cacheDir && file.endsWith('.json');
        const text = readFileSync(file, 'utf8');
        if (!isCacheFile && secrets.some((s) => text.includes(s))) found.push(file);
        // Only cache files: no temporary file left behind by a write.
        if (!isCacheFile) found.push(`not a cache file: ${file}`);
      }
    }
    return found;
  }
}
