/**
 * `rekey credentials` as the AWS CLI runs it: a separate process, against users that rekey
 * rotated through the real workflow on the sandbox. Every run reads only its own user's secret,
 * signed with that user's key, as AWS will require once the sandbox enforces IAM policies.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CallRecord } from '../../sandbox/contracts';
import { Sandbox } from '../../sandbox/sandbox';
import { rotate, seedUser, staged } from '../e2e/helpers';
import {
  currentKey,
  makeHome,
  REKEY,
  REPO_ROOT,
  rotatedUser,
  runCredentials,
  type Home,
  type Key,
  type ProcessRun,
} from './process-helpers';

const REFRESH_SECONDS = 1200;
let sb: Sandbox;
const homes: Home[] = [];
const runs: ProcessRun[] = [];

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

function home(): Home {
  const made = makeHome();
  homes.push(made);
  return made;
}

/** Runs `rekey credentials` for `secretId` on the sandbox; returns the run and its AWS calls. */
async function credentials(
  h: Home,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ run: ProcessRun; calls: CallRecord[] }> {
  const mark = sb.emulator.calls.length;
  const run = await runCredentials(
    [...args, '--region', sb.region, '--endpoint-url', sb.endpoint],
    { ...h.env, ...env },
  );
  runs.push(run);
  return { run, calls: sb.emulator.calls.slice(mark) };
}

const forUser = (user: string, ...extra: string[]): string[] => [
  '--secret-id',
  `${sb.secretPrefix}${user}`,
  ...extra,
];

/** The Version 1 document, checked for exactly its four fields. */
function printed(run: ProcessRun): Key & { expiration: Date } {
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

const reads = (calls: readonly CallRecord[]): string[] =>
  calls
    .filter((c) => c.operation === 'GetSecretValue')
    // The emulator names no key for a request it refused to authenticate.
    .map((c) => `${c.accessKeyId ?? 'refused'} ${c.status} ${c.errorCode ?? ''}`.trim());

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe('rekey credentials', () => {
  it('bootstraps from the named profile and prints Version 1 JSON that expires one refresh interval ahead', async () => {
    const key = await rotatedUser(sb, 'cp-first');
    const h = home();
    h.setProfiles({ 'cp-first-initial': key });

    const before = Date.now();
    const { run, calls } = await credentials(
      h,
      forUser('cp-first', '--bootstrap-profile', 'cp-first-initial'),
    );
    const after = Date.now();

    expect(run.code).toBe(0);
    const doc = printed(run);
    expect(doc).toMatchObject(key);
    expect(doc.expiration.getTime()).toBeGreaterThanOrEqual(before + REFRESH_SECONDS * 1000);
    expect(doc.expiration.getTime()).toBeLessThanOrEqual(after + REFRESH_SECONDS * 1000);
    expect(reads(calls)).toEqual([`${key.accessKeyId} 200`]);
    expect(run.stderr).toBe(
      `rekey credentials: now using access key ${key.accessKeyId} from rekey/cp-first ` +
        '(read with the bootstrap profile "cp-first-initial")\n',
    );
  });

  it('keeps the key in one file of mode 0600, in a directory of mode 0700 under XDG_CACHE_HOME', async () => {
    const key = await rotatedUser(sb, 'cp-cache');
    const h = home();

    const { run } = await credentials(h, forUser('cp-cache'), {
      AWS_ACCESS_KEY_ID: key.accessKeyId,
      AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    });

    expect(run.code).toBe(0);
    const files = filesUnder(path.join(h.dir, 'cache'));
    expect(files).toHaveLength(1);
    const [file = ''] = files;
    expect(path.dirname(file)).toBe(h.cacheDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(h.cacheDir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      SecretId: 'rekey/cp-cache',
      AccessKeyId: key.accessKeyId,
      SecretAccessKey: key.secretAccessKey,
    });
  });

  it('answers from a fresh cache without AWS or the bootstrap, and reads a stale one signed with the cached key', async () => {
    const key = await rotatedUser(sb, 'cp-fresh');
    const h = home();
    h.setProfiles({ boot: key });
    await credentials(h, forUser('cp-fresh', '--bootstrap-profile', 'boot'));
    // From now on the bootstrap profile is gone: only the cache can answer.
    h.setProfiles({});

    const fresh = await credentials(h, forUser('cp-fresh', '--bootstrap-profile', 'boot'));
    sb.clock.advanceBy(REFRESH_SECONDS * 1000);
    const stale = await credentials(h, forUser('cp-fresh', '--bootstrap-profile', 'boot'));

    expect([fresh.run.code, stale.run.code]).toEqual([0, 0]);
    expect(printed(fresh.run)).toMatchObject(key);
    expect(printed(stale.run)).toMatchObject(key);
    expect(fresh.calls).toEqual([]);
    expect(reads(stale.calls)).toEqual([`${key.accessKeyId} 200`]);
    expect([fresh.run.stderr, stale.run.stderr]).toEqual(['', '']);
  });

  it('follows a rotation: the cached key, still active, reads the new key', async () => {
    const oldKey = await rotatedUser(sb, 'cp-follow');
    const h = home();
    h.setProfiles({ boot: oldKey });
    await credentials(h, forUser('cp-follow', '--bootstrap-profile', 'boot'));
    h.setProfiles({});
    // Promoted, not yet cut over: both keys are active and the secret holds the new one.
    const newKey = sb.emulator.seed.accessKey({ userName: 'cp-follow' });
    await putCurrent('cp-follow', newKey);
    sb.clock.advanceBy(REFRESH_SECONDS * 1000);

    const { run, calls } = await credentials(
      h,
      forUser('cp-follow', '--bootstrap-profile', 'boot'),
    );

    expect(run.code).toBe(0);
    expect(printed(run)).toMatchObject(newKey);
    expect(reads(calls)).toEqual([`${oldKey.accessKeyId} 200`]);
    expect(run.stderr).toBe(
      `rekey credentials: now using access key ${newKey.accessKeyId} from rekey/cp-follow ` +
        `(read with the cached key ${oldKey.accessKeyId})\n`,
    );
  });

  it('when AWS rejects the cached key, reads once with the bootstrap credentials', async () => {
    const first = await rotatedUser(sb, 'cp-recover');
    const h = home();
    h.setProfiles({ boot: first });
    await credentials(h, forUser('cp-recover', '--bootstrap-profile', 'boot'));
    // The host was off through a whole rotation: its cached key is deleted. The operator put
    // the current key in the bootstrap profile.
    expect((await rotate(sb, { userName: 'cp-recover' })).status).toBe('SUCCEEDED');
    const second = currentKey(sb, 'cp-recover');
    h.setProfiles({ boot: second });

    const { run, calls } = await credentials(
      h,
      forUser('cp-recover', '--bootstrap-profile', 'boot'),
    );
    const again = await credentials(h, forUser('cp-recover', '--bootstrap-profile', 'boot'));

    expect(run.code).toBe(0);
    expect(printed(run)).toMatchObject(second);
    expect(reads(calls)).toEqual([
      'refused 400 UnrecognizedClientException',
      `${second.accessKeyId} 200`,
    ]);
    expect(run.stderr).toContain(
      `rekey credentials: AWS rejected the cached key ${first.accessKeyId} (UnrecognizedClientException); ` +
        'reading rekey/cp-recover once with the bootstrap profile "boot"\n',
    );
    expect(again.calls).toEqual([]);
    expect(printed(again.run)).toMatchObject(second);
  });

  it('fails clearly when the cached key and the bootstrap are both rejected, keeping the cache', async () => {
    const first = await rotatedUser(sb, 'cp-lost');
    const h = home();
    h.setProfiles({ boot: first });
    await credentials(h, forUser('cp-lost', '--bootstrap-profile', 'boot'));
    const [file = ''] = filesUnder(h.cacheDir);
    const cached = readFileSync(file, 'utf8');
    expect((await rotate(sb, { userName: 'cp-lost' })).status).toBe('SUCCEEDED');

    const { run, calls } = await credentials(h, forUser('cp-lost', '--bootstrap-profile', 'boot'));

    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(reads(calls)).toEqual([
      'refused 400 UnrecognizedClientException',
      'refused 400 UnrecognizedClientException',
    ]);
    expect(run.stderr).toContain(
      'rekey credentials: AWS rejected the bootstrap profile "boot" reading secret "rekey/cp-lost" ' +
        '(UnrecognizedClientException): give --bootstrap-profile credentials that are still active\n',
    );
    expect(readFileSync(file, 'utf8')).toBe(cached);
  });

  it('a --secret-id that names no secret: a clear error, exit 1, nothing on stdout', async () => {
    const key = await rotatedUser(sb, 'cp-typo');
    const h = home();
    h.setProfiles({ boot: key });

    const { run } = await credentials(h, forUser('cp-tpyo', '--bootstrap-profile', 'boot'));

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `rekey credentials: secret "rekey/cp-tpyo" was not found at ${sb.endpoint} ` +
        '(ResourceNotFoundException): check --secret-id and --region\n',
    );
    expect(filesUnder(path.join(h.dir, 'cache'))).toEqual([]);
  });

  it('a malformed --secret-id is refused before any call: exit 2, nothing on stdout', async () => {
    const h = home();

    const { run, calls } = await credentials(h, ['--secret-id', 'rekey/alice smith']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'rekey credentials: --secret-id "rekey/alice smith" is not a secret name ' +
        '(letters, digits and /_+=.@-) or a secret ARN (rekey credentials --help for usage)\n',
    );
    expect(calls).toEqual([]);
  });

  it('a missing bootstrap says how to give one: exit 3, nothing on stdout, no call', async () => {
    await rotatedUser(sb, 'cp-noboot');
    const h = home();

    const none = await credentials(h, forUser('cp-noboot'));
    const unknown = await credentials(h, forUser('cp-noboot', '--bootstrap-profile', 'nobody'));

    expect([none.run.code, unknown.run.code]).toEqual([3, 3]);
    expect([none.run.stdout, unknown.run.stdout]).toEqual(['', '']);
    expect([...none.calls, ...unknown.calls]).toEqual([]);
    expect(none.run.stderr).toBe(
      'rekey credentials: no cached key and no bootstrap credentials: pass --bootstrap-profile ' +
        'NAME (a profile holding credentials that can read the secret, e.g. the current key of ' +
        'the user), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.\n',
    );
    expect(unknown.run.stderr).toMatch(
      /^rekey credentials: no bootstrap credentials: profile "nobody" gives none \(.+\)\. Point --bootstrap-profile at a profile holding credentials that can read the secret\.\n$/,
    );
  });

  it('a secret holding only the baseline: a clear error naming the key, exit 1, nothing on stdout', async () => {
    const { oldKey } = seedUser(sb, 'cp-baseline');
    // The first rotation fails after writing the baseline: CreateAccessKey keeps failing.
    const fault = sb.emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      kind: 'server-error',
    });
    const failed = await rotate(sb, { userName: 'cp-baseline' }).finally(() =>
      sb.emulator.faults.remove(fault),
    );
    expect(failed.status).toBe('FAILED');
    expect(staged(sb, 'cp-baseline', 'AWSCURRENT')?.value).toEqual(
      expect.not.objectContaining({ SecretAccessKey: expect.anything() as unknown }),
    );
    const h = home();
    h.setProfiles({ boot: oldKey });

    const { run, calls } = await credentials(
      h,
      forUser('cp-baseline', '--bootstrap-profile', 'boot'),
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(reads(calls)).toEqual([`${oldKey.accessKeyId} 200`]);
    expect(run.stderr).toBe(
      `rekey credentials: secret "rekey/cp-baseline" (AWSCURRENT) has no SecretAccessKey: it is ` +
        `the baseline for access key ${oldKey.accessKeyId}, because rekey has not completed a ` +
        'rotation for this user yet. Run or wait for the first rotation, or keep the credentials ' +
        'the application already has until then.\n',
    );
    expect(filesUnder(path.join(h.dir, 'cache'))).toEqual([]);
  });

  it('without a region says where to give one: exit 3, nothing on stdout', async () => {
    const key = await rotatedUser(sb, 'cp-region');
    const h = home();
    h.setProfiles({ boot: key });

    const run = await runCredentials(
      [...forUser('cp-region', '--bootstrap-profile', 'boot'), '--endpoint-url', sb.endpoint],
      h.env,
    );
    runs.push(run);

    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'rekey credentials: no region: pass --region (the profile that runs rekey credentials is ' +
        'not visible to it), set AWS_REGION, or set a region in the bootstrap profile\n',
    );
  });

  it('answers the same through bin/rekey-credentials.js, and is listed in rekey --help', async () => {
    const key = await rotatedUser(sb, 'cp-bin');
    const h = home();
    const { run: first } = await credentials(h, forUser('cp-bin'), {
      AWS_ACCESS_KEY_ID: key.accessKeyId,
      AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    });
    const args = [...forUser('cp-bin'), '--region', sb.region, '--endpoint-url', sb.endpoint];

    const viaBin = await new Promise<ProcessRun>((resolve) =>
      execFile(
        process.execPath,
        [path.join(REPO_ROOT, 'bin', 'rekey-credentials.js'), ...args],
        { env: h.env },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
    const help = await new Promise<string>((resolve) =>
      execFile(process.execPath, [REKEY, '--help'], { env: h.env }, (_e, stdout) =>
        resolve(stdout),
      ),
    );
    runs.push(viaBin);

    expect(first.code).toBe(0);
    expect(viaBin.code).toBe(0);
    expect(printed(viaBin)).toMatchObject(key);
    expect(help).toMatch(/^ {2}credentials \[options\.\.\.\] +print a user's current access key/m);
  });

  it('refuses a bootstrap profile that runs rekey credentials again instead of recursing', async () => {
    await rotatedUser(sb, 'cp-loop');
    const h = home();
    const again = `${process.execPath} ${REKEY} credentials ${forUser('cp-loop', '--bootstrap-profile', 'loop').join(' ')}`;
    writeFileSync(h.configFile, `[profile loop]\ncredential_process = ${again}\n`);

    const { run, calls } = await credentials(h, forUser('cp-loop', '--bootstrap-profile', 'loop'));

    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('started again while resolving its own bootstrap profile');
    expect(calls).toEqual([]);
  });

  it('answers a fresh cache with Node built-ins only: no AWS SDK, tsx, CDK or sandbox code', async () => {
    const key = await rotatedUser(sb, 'cp-lean');
    const h = home();
    const recorder = ['--require', path.join(__dirname, 'fixtures', 'record-modules.js')];
    const loaded = async (name: string): Promise<string[]> => {
      const file = path.join(h.dir, name);
      const run = await runCredentials(
        [...forUser('cp-lean'), '--region', sb.region, '--endpoint-url', sb.endpoint],
        {
          ...h.env,
          RECORD_MODULES_TO: file,
          AWS_ACCESS_KEY_ID: key.accessKeyId,
          AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
        },
        recorder,
      );
      runs.push(run);
      expect(run.code).toBe(0);
      return readFileSync(file, 'utf8').split('\n');
    };

    const reading = await loaded('reading.txt');
    const cached = await loaded('cached.txt');

    const heavy =
      /node_modules\/(@aws-sdk|@smithy|tsx|aws-cdk-lib|constructs)\/|\/sandbox\/|\/cli\//;
    // The check can fail: the run that read the secret did load the SDK.
    expect(reading.some((m) => heavy.test(m))).toBe(true);
    expect(cached.filter((m) => heavy.test(m))).toEqual([]);
    expect(cached.map((m) => path.relative(REPO_ROOT, m)).sort()).toEqual([
      'bin/rekey.js',
      'dist/credentials/process/cache.js',
      'dist/credentials/process/errors.js',
      'dist/credentials/process/main.js',
      'dist/credentials/process/options.js',
      'dist/credentials/process/service-time.js',
      'test/credentials/fixtures/record-modules.js',
    ]);
  });

  it('I4: no secret access key on stderr of any run, nor in any cache directory file but the cache file', () => {
    const secrets = sb.emulator.state.accessKeys.map((k) => k.secretAccessKey);
    expect(runs.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    for (const run of runs) {
      if (secrets.some((s) => run.stderr.includes(s))) leaks.push(`stderr: ${run.stderr}`);
    }
    for (const h of homes) {
      for (const file of filesUnder(path.join(h.dir, 'cache'))) {
        const inCacheDir = path.dirname(file) === h.cacheDir && file.endsWith('.json');
        const text = readFileSync(file, 'utf8');
        if (!inCacheDir && secrets.some((s) => text.includes(s))) leaks.push(file);
      }
      // Only cache files: no temporary file left behind by a write.
      for (const file of filesUnder(h.cacheDir)) {
        if (!file.endsWith('.json')) leaks.push(`not a cache file: ${file}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});

/** What PromoteKey does: the new key's version becomes AWSCURRENT. */
async function putCurrent(userName: string, key: Key): Promise<void> {
  const { PutSecretValueCommand, SecretsManagerClient } =
    await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient(sb.clientConfig());
  try {
    await client.send(
      new PutSecretValueCommand({
        SecretId: `${sb.secretPrefix}${userName}`,
        SecretString: JSON.stringify({
          UserName: userName,
          AccessKeyId: key.accessKeyId,
          SecretAccessKey: key.secretAccessKey,
          CreateDate: sb.clock.now().toISOString(),
        }),
      }),
    );
  } finally {
    client.destroy();
  }
}
