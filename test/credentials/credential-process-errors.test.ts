/**
 * `rekey credentials` refusing what it cannot answer: each case gives one clear line on stderr,
 * a non-zero exit and nothing on stdout, as the AWS CLI and the SDKs expect of a
 * credential_process. Users are rotated through the real workflow on the sandbox.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../../sandbox/sandbox';
import { rotate, seedUser, staged } from '../e2e/helpers';
import { REKEY, rotatedUser, runCredentials } from './process-helpers';
import { filesUnder, ProcessSession, reads } from './process-session';

const MIN_RUNS = 5;
let sb: Sandbox;
const session = new ProcessSession(() => sb);
const { home, credentials, forUser } = session;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

describe('rekey credentials refuses', () => {
  it('a --secret-id that names no secret (denied, as AWS denies what nothing grants): a clear error, exit 3, nothing on stdout', async () => {
    const key = await rotatedUser(sb, 'cp-typo');
    const h = home();
    h.setProfiles({ boot: key });

    const { run } = await credentials(h, forUser('cp-tpyo', '--bootstrap-profile', 'boot'));

    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^rekey credentials: .* may not read secret "rekey\/cp-tpyo" at http:\/\/127\.0\.0\.1:\d+ \(AccessDeniedException\): check --secret-id \(a name that does not exist is denied as well\)/,
    );
    expect(filesUnder(path.join(h.dir, 'cache'))).toEqual([]);
  });

  it('a malformed --secret-id, before any call: exit 2, nothing on stdout', async () => {
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

  it('to start without bootstrap credentials, saying how to give them: exit 3, nothing on stdout, no call', async () => {
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

  it('to read without a region, saying where to give one: exit 3, nothing on stdout', async () => {
    const key = await rotatedUser(sb, 'cp-region');
    const h = home();
    h.setProfiles({ boot: key });

    const run = await runCredentials(
      [...forUser('cp-region', '--bootstrap-profile', 'boot'), '--endpoint-url', sb.endpoint],
      h.env,
    );
    session.runs.push(run);

    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'rekey credentials: no region: pass --region (the profile that runs rekey credentials is ' +
        'not visible to it), set AWS_REGION, or set a region in the bootstrap profile\n',
    );
  });

  it('a bootstrap profile that runs rekey credentials again, instead of recursing', async () => {
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

  it('I4: no secret access key on stderr of any run, nor in any cache directory file but the cache file', () => {
    expect(session.runs.length).toBeGreaterThan(MIN_RUNS);
    expect(session.leaks()).toEqual([]);
  });
});
