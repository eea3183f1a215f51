import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { bareEnv, json, REKEY, rekey, Transcript } from './helpers';

const hasAwsCli = spawnSync('aws', ['--version']).status === 0;

/** `rekey sandbox` as a long-running process that other clients use, stopped with Ctrl-C. */
describe('rekey sandbox', () => {
  let child: ChildProcess;
  let stdout = '';
  let env: Record<string, string>;
  let endpoint: string;
  const transcript = new Transcript();

  /**
   * Resolves with the ready-to-paste export line once the sandbox printed everything (its last
   * line); the output may arrive in several chunks.
   */
  const ready = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no export line in:\n${stdout}`)), 90_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const line = /^\s*export (AWS_ACCESS_KEY_ID=.*)$/m.exec(stdout)?.[1];
        if (line && stdout.includes('Ctrl-C stops the sandbox.')) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.on('exit', (code) => reject(new Error(`rekey sandbox exited ${code}:\n${stdout}`)));
    });

  beforeAll(async () => {
    child = spawn(process.execPath, [REKEY, 'sandbox', '--port', '0', '--seed', 'demo'], {
      env: bareEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exported = await ready();
    env = {
      ...bareEnv(),
      ...Object.fromEntries(
        exported.split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]),
      ),
    };
    endpoint = env.AWS_ENDPOINT_URL ?? '';
  }, 100_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    console.log(transcript.timings());
  });

  it('prints the endpoint, region, admin credentials, state machines, stack and examples', () => {
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/) as unknown,
      AWS_SECRET_ACCESS_KEY: expect.stringMatching(/^[A-Za-z0-9/+]{40}$/) as unknown,
      AWS_REGION: 'us-east-1',
    });
    expect(stdout).toContain(`endpoint     ${endpoint}`);
    expect(stdout).toContain('sandbox-only fake credentials');
    expect(stdout).toMatch(
      /rotation\s+arn:aws:states:us-east-1:123456789012:stateMachine:\S+-rotation/,
    );
    expect(stdout).toMatch(
      /fleet scan\s+arn:aws:states:us-east-1:123456789012:stateMachine:\S+-fleet-scan/,
    );
    expect(stdout).toMatch(/stack\s+Rekey/);
    expect(stdout).toContain('demo users   alice, bob, carol, dave, erin, frank, gina');
    expect(stdout).toContain(
      `aws --endpoint-url ${endpoint} iam list-access-keys --user-name alice`,
    );
    expect(stdout).toContain(`rekey --endpoint-url ${endpoint} rotate alice --wait`);
  });

  it('serves rekey with just the exported environment (AWS_ENDPOINT_URL, no flags)', async () => {
    const run = await rekey(['--output', 'json', 'report'], { env, transcript });

    expect(run.code).toBe(0);
    const users = json<{ users: { userName: string }[] }>(run).users.map((u) => u.userName);
    expect(users).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']);
  });

  (hasAwsCli ? it : it.skip)('serves the AWS CLI example it prints', () => {
    const aws = spawnSync(
      'aws',
      [
        '--endpoint-url',
        endpoint,
        'iam',
        'list-access-keys',
        '--user-name',
        'alice',
        '--output',
        'json',
      ],
      { env, encoding: 'utf8' },
    );

    expect(aws.stderr).toBe('');
    expect(JSON.parse(aws.stdout)).toMatchObject({
      AccessKeyMetadata: [{ UserName: 'alice', Status: 'Active' }],
    });
  });

  it('stops cleanly on Ctrl-C (SIGINT) with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    child.kill('SIGINT');

    expect(await exited).toBe(0);
    expect(stdout).toContain('SIGINT: stopping the sandbox');
  });
});
