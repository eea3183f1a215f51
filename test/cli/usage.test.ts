import { bareEnv, json, REKEY, rekey, Transcript } from './helpers';

/** What the CLI says before it talks to AWS at all: help, usage errors, missing credentials. */
describe('rekey CLI usage', () => {
  const transcript = new Transcript();
  const run = (args: string[], env = bareEnv()) => rekey(args, { env, transcript });

  afterAll(() => console.log(transcript.timings()));

  it('prints the commands, global options and exit codes with --help, and exits 0', async () => {
    const help = await run(['--help']);

    expect(help.code).toBe(0);
    for (const text of [
      'rotate',
      'status',
      'report',
      'rollback',
      'sandbox',
      '--region',
      '--profile',
      '--endpoint-url',
      '--output',
      '--stack',
      'Exit codes',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('shows usage and examples for every command', async () => {
    const commands = ['rotate', 'status', 'report', 'rollback', 'sandbox'];

    const runs = await Promise.all(commands.map((command) => run([command, '--help'])));

    runs.forEach((help, i) => {
      const command = commands[i] ?? '';
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: rekey ${command}`);
      expect(help.stdout).toMatch(new RegExp(`Examples:\\n\\s+\\$ rekey ${command}`));
    });
  });

  it('rejects bad flags and arguments with exit code 2 and says why', async () => {
    const cases: [string[], RegExp][] = [
      [['rotate'], /missing required argument 'user'/],
      [['rotate', 'not a user!'], /"not a user!" is not an IAM user name/],
      [['report', '--max-age', 'ninety'], /--max-age must be a whole number from 1 to 3650/],
      [['report', '--format', 'xml'], /Allowed choices are table, json, csv/],
      [['--output', 'yaml', 'status'], /Allowed choices are text, json/],
      [['rotate', 'alice', '--force'], /unknown option '--force'/],
      [['sandbox', '--clock', 'fast'], /Allowed choices are auto, manual/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];

    const runs = await Promise.all(cases.map(([args]) => run(args)));

    runs.forEach((result, i) => {
      expect({ args: result.args, code: result.code }).toEqual({ args: cases[i]?.[0], code: 2 });
      expect(result.stderr).toMatch(cases[i]?.[1] ?? /never/);
    });
  });

  it('checks the emergency flags before anything else, each mistake with its own message (exit 2)', async () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const cases: [string[], string][] = [
      [['--key', key], '--key goes only with --emergency'],
      [['--reason', 'leaked'], '--reason goes only with --emergency'],
      [['--reason', ''], '--reason goes only with --emergency'],
      [['--exposed-at', '2026-12-01T00:00:00Z'], '--exposed-at goes only with --emergency'],
      [['--key', key, '--reason', 'x'], '--key and --reason go only with --emergency'],
      [['--emergency'], '--emergency needs the exposed key and why (missing --key and --reason)'],
      [['--emergency', '--key', key], '(missing --reason)'],
      [['--emergency', '--key', key, '--reason', '   '], '(missing --reason)'],
      [['--emergency', '--reason', 'leaked'], '(missing --key)'],
      [
        ['--emergency', '--key', 'akiaiosfodnn7example', '--reason', 'x'],
        `--key must be an IAM user's access key id (AKIA and 16 capital letters or digits); got "akiaiosfodnn7example"`,
      ],
      [['--emergency', '--key', 'ASIAIOSFODNN7EXAMPLE', '--reason', 'x'], '--key must be'],
      [['--emergency', '--key', `${key}X`, '--reason', 'x'], '--key must be'],
      [['--emergency', '--key', key, '--reason', 'a\nb'], '--reason must be printable text'],
      [
        ['--emergency', '--key', key, '--reason', 'x', '--exposed-at', 'yesterday'],
        '--exposed-at must be a date and time such as 2026-12-02T09:40:00Z; got "yesterday"',
      ],
    ];
    // Credentials and a region that would reach nothing: a run that got past the flags would
    // fail to connect (exit 3), so exit 2 shows it stopped at them.
    const env = {
      ...bareEnv(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    };

    const runs = await Promise.all(
      cases.map(([flags]) =>
        run(['--endpoint-url', 'http://127.0.0.1:9', 'rotate', 'alice', ...flags], env),
      ),
    );

    runs.forEach((result, i) => {
      expect({ flags: cases[i]?.[0], code: result.code }).toEqual({
        flags: cases[i]?.[0],
        code: 2,
      });
      expect(result.stderr).toContain(cases[i]?.[1]);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  it('says how to get credentials when there are none (exit 3), in text and JSON', async () => {
    const args = ['--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1', 'status'];

    const [text, machine] = await Promise.all([run(args), run(['--output', 'json', ...args])]);

    expect(text.code).toBe(3);
    expect(text.stderr).toContain(
      'no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, or use `rekey sandbox`',
    );
    expect(json(machine)).toMatchObject({ error: { code: 'NoCredentials', exitCode: 3 } });
  });

  it('says when there is no region, or the endpoint cannot be reached (exit 3)', async () => {
    const credentials = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-secret' };
    const env = { ...bareEnv(), ...credentials };

    const [noRegion, unreachable] = await Promise.all([
      run(['status'], env),
      run(['--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1', 'status'], env),
    ]);

    expect(noRegion.code).toBe(3);
    expect(noRegion.stderr).toContain('no AWS region: pass --region, set AWS_REGION');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:9');
  });

  it.each([
    ['--endpoint-url', ['--endpoint-url', 'ht!tp:/not a url', 'status'], {}],
    ['--endpoint-url with another scheme', ['--endpoint-url', 'ftp://127.0.0.1:21', 'status'], {}],
    ['AWS_ENDPOINT_URL', ['status'], { AWS_ENDPOINT_URL: 'nonsense' }],
  ])(
    'rejects a malformed %s as a usage error (exit 2) that says what a URL looks like',
    async (name, args, extra) => {
      const result = await run(args, { ...bareEnv(), AWS_REGION: 'us-east-1', ...extra });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `${name.split(' ')[0]} must be an http(s) URL such as http://127.0.0.1:4599`,
      );
      expect(result.stderr).not.toMatch(/TypeError|at .*\.ts:/);
    },
  );

  it('names a profile that is in neither AWS file (exit 3), with --profile and AWS_PROFILE', async () => {
    const env = { ...bareEnv(), AWS_REGION: 'us-east-1' };

    const [flag, variable] = await Promise.all([
      run(['--profile', 'prod-admin', 'status'], env),
      run(['status'], { ...env, AWS_PROFILE: 'prod-admin' }),
    ]);

    for (const result of [flag, variable]) {
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('profile "prod-admin" is not in');
      expect(result.stderr).not.toContain('no AWS credentials');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('ends quietly when its output is piped into a command that stops reading (rekey --help | head -1)', async () => {
    const { spawn } = await import('node:child_process');
    const pipe = (): Promise<{ stderr: string; stdout: string }> =>
      new Promise((resolve) => {
        const shell = spawn('sh', ['-c', `"${process.execPath}" "${REKEY}" --help | head -1`], {
          env: bareEnv(),
        });
        let stdout = '';
        let stderr = '';
        shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        shell.on('close', () => resolve({ stderr, stdout }));
      });

    // The pipe closes while rekey still writes most of the time, not always: five runs.
    const runs = await Promise.all([1, 2, 3, 4, 5].map(() => pipe()));

    for (const result of runs) {
      expect(result.stdout).toBe('Usage: rekey [options] [command]\n');
      expect(result.stderr).toBe('');
    }
  });
});
