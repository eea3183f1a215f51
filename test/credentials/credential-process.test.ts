/**
 * `rekey credentials` as the AWS CLI runs it: a separate process, against users that rekey
 * rotated through the real workflow on the sandbox. Every run reads only its own user's secret,
 * signed with that user's key, as AWS will require once the sandbox enforces IAM policies.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../../sandbox/sandbox';
import { rotate } from '../e2e/helpers';
import {
  currentKey,
  REKEY,
  REPO_ROOT,
  rotatedUser,
  runCredentials,
  type Key,
  type ProcessRun,
} from './process-helpers';
import { filesUnder, printed, ProcessSession, reads, REFRESH_SECONDS } from './process-session';

const MIN_RUNS = 10;
let sb: Sandbox;
const session = new ProcessSession(() => sb);
const { home, credentials, forUser } = session;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

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
    session.runs.push(viaBin);

    expect(first.code).toBe(0);
    expect(viaBin.code).toBe(0);
    expect(printed(viaBin)).toMatchObject(key);
    expect(help).toMatch(/^ {2}credentials \[options\.\.\.\] +print a user's current access key/m);
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
      session.runs.push(run);
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
    expect(session.runs.length).toBeGreaterThan(MIN_RUNS);
    expect(session.leaks()).toEqual([]);
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
