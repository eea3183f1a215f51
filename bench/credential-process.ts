/**
 * `rekey credentials` start-up, as the AWS CLI pays it before every command: the wall time of
 * whole processes answering from a fresh cache, run in turn with a bare `node -e 0` (the floor:
 * what any Node program costs) so that both see the same machine. Also the first run, which
 * bootstraps and reads the secret from a loopback emulator, and the size of the SDK provider
 * package as an application bundles it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { cacheFile, writeCache } from '../credentials/process/cache';
import { SandboxClock } from '../sandbox/clock';
import { Emulator } from '../sandbox/emulator';
import { median, progress } from './common';

export const PAIRS = 41;
const WARM_UP = 5;
const FIRST_RUNS = 10;

export interface CredentialProcessResult {
  /** Wall milliseconds of `node -e 0`, one per pair. */
  readonly floorMs: readonly number[];
  /** Wall milliseconds of `node bin/rekey.js credentials ...` from a fresh cache. */
  readonly freshMs: readonly number[];
  /** The same through bin/rekey-credentials.js. */
  readonly binMs: readonly number[];
  readonly floorMedianMs: number;
  readonly freshMedianMs: number;
  readonly binMedianMs: number;
  /** Median of the per-pair differences fresh - floor. */
  readonly overFloorMs: number;
  /** First runs: no cache, bootstrap from the environment, SDK loaded, secret read on loopback. */
  readonly firstRunMs: readonly number[];
  /** credentials/index.ts bundled and minified, with the SDK (@aws-sdk, @smithy) external. */
  readonly providerBytes: number;
}

const FAKE = {
  accessKeyId: 'AKIABENCHBENCHBENCH0',
  secretAccessKey: 'bench/not/a/secret/key/0000000000000000',
};

function timed(args: readonly string[], expectKey?: string): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  const ms = performance.now() - started;
  if (child.status !== 0) throw new Error(`${args.join(' ')} failed: ${child.stderr}`);
  if (expectKey !== undefined && !child.stdout.includes(`"AccessKeyId":"${expectKey}"`)) {
    throw new Error(`${args.join(' ')} did not print the cached key: ${child.stdout}`);
  }
  return ms;
}

/** Async: the emulator answering the child runs in this process. */
function timedAsync(args: readonly string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${args.join(' ')} failed (exit ${code}): ${stderr}`));
    });
  });
}

async function providerBytes(repoRoot: string): Promise<number> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [path.join(repoRoot, 'credentials', 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@aws-sdk/*', '@smithy/*'],
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles.reduce((total, file) => total + file.contents.byteLength, 0);
}

async function firstRuns(repoRoot: string, dir: string): Promise<number[]> {
  const clock = new SandboxClock();
  const emulator = new Emulator({ clock, keyPropagationSeconds: 0 });
  await emulator.start();
  try {
    emulator.seed.user({ userName: 'bench' });
    const key = emulator.seed.accessKey({ userName: 'bench' });
    emulator.seed.secret({
      name: 'rekey/bench',
      value: JSON.stringify({
        UserName: 'bench',
        AccessKeyId: key.accessKeyId,
        SecretAccessKey: key.secretAccessKey,
        CreateDate: clock.now().toISOString(),
      }),
    });
    // The emulator authorizes as AWS does: the user reads its own secret, as ConsumerAccess.SELF
    // lets it on a real account (here through an identity policy, the secret being seeded).
    emulator.seed.userPolicy('bench', 'read-own-secret', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: `arn:aws:secretsmanager:${emulator.region}:${emulator.accountId}:secret:rekey/bench-??????`,
        },
      ],
    });
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_ACCESS_KEY_ID: key.accessKeyId,
      AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
      AWS_CONFIG_FILE: path.join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
    };
    const times: number[] = [];
    for (let i = 0; i < FIRST_RUNS; i++) {
      const args = [
        path.join(repoRoot, 'bin', 'rekey.js'),
        'credentials',
        ...['--secret-id', 'rekey/bench', '--region', emulator.region],
        ...['--endpoint-url', emulator.endpoint, '--cache-dir', path.join(dir, `first-${i}`)],
      ];
      times.push(await timedAsync(args, env));
    }
    return times;
  } finally {
    await emulator.stop();
  }
}

export async function runCredentialProcess(repoRoot: string): Promise<CredentialProcessResult> {
  progress('rekey credentials: compiling dist/ (npm run prepare) so the current code is measured');
  const tsc = require.resolve('typescript/bin/tsc');
  spawnSync(process.execPath, [tsc, '-p', path.join(repoRoot, 'tsconfig.credentials.json')], {
    stdio: 'inherit',
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'rekey-bench-credentials-'));
  try {
    const cacheDir = path.join(dir, 'cache');
    const options = [
      '--secret-id',
      'rekey/bench',
      '--region',
      'us-east-1',
      '--cache-dir',
      cacheDir,
    ];
    // A fresh cache as the process itself writes it (no endpoint: AWS, this machine's clock).
    writeCache(
      cacheFile(cacheDir, { secretId: 'rekey/bench', region: 'us-east-1' }),
      'rekey/bench',
      {
        ...FAKE,
        readAt: new Date(),
      },
    );
    const rekey = [path.join(repoRoot, 'bin', 'rekey.js'), 'credentials', ...options];
    const bin = [path.join(repoRoot, 'bin', 'rekey-credentials.js'), ...options];
    const floor = ['-e', '0'];
    progress(`rekey credentials: ${PAIRS} runs from a fresh cache, in turn with node -e 0`);
    for (let i = 0; i < WARM_UP; i++) {
      timed(floor);
      timed(rekey, FAKE.accessKeyId);
    }
    const floorMs: number[] = [];
    const freshMs: number[] = [];
    const binMs: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      floorMs.push(timed(floor));
      freshMs.push(timed(rekey, FAKE.accessKeyId));
      binMs.push(timed(bin, FAKE.accessKeyId));
    }
    progress(
      `rekey credentials: ${FIRST_RUNS} first runs (bootstrap, read on a loopback emulator)`,
    );
    const firstRunMs = await firstRuns(repoRoot, dir);
    return {
      floorMs,
      freshMs,
      binMs,
      floorMedianMs: median(floorMs),
      freshMedianMs: median(freshMs),
      binMedianMs: median(binMs),
      overFloorMs: median(freshMs.map((ms, i) => ms - (floorMs[i] ?? NaN))),
      firstRunMs,
      providerBytes: await providerBytes(repoRoot),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
