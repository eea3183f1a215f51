/**
 * The AWS CLI v2 (botocore) is a second real client: its SigV4 and parsing must accept the
 * emulator unchanged. /usr/bin/aws is used explicitly because a pyenv `aws` (v1) may come
 * first on PATH. `apt-get install awscli` installs it; .ci/run does.
 */
import { execFile } from 'node:child_process';
import type { ExecutionRecord, ExecutionRunner } from '../../../sandbox/contracts';
import type { Emulator } from '../../../sandbox/emulator';
import { requireTool } from '../../setup/tools';
import { startEmulator } from './helpers';

const AWS = '/usr/bin/aws';
const hasCli = requireTool(AWS) !== undefined;
const maybe = hasCli ? describe : describe.skip;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Async on purpose: the emulator answers in this same process. */
function aws(emulator: Emulator, args: readonly string[]): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: emulator.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.admin.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  return new Promise((resolve) => {
    execFile(
      AWS,
      [...args, '--endpoint-url', emulator.endpoint, '--output', 'json'],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? 1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

maybe('AWS CLI v2 against the emulator', () => {
  let emulator: Emulator;
  const runs: ExecutionRecord[] = [];
  const runner: ExecutionRunner = {
    run: (execution) => runs.push(execution),
    abort: () => undefined,
  };

  beforeAll(async () => {
    ({ emulator } = await startEmulator({ runner }));
  });
  afterAll(() => emulator.stop());

  it('lists access keys', async () => {
    emulator.seed.user({ userName: 'alice' });
    const key = emulator.seed.accessKey({ userName: 'alice' });
    const result = await aws(emulator, ['iam', 'list-access-keys', '--user-name', 'alice']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      AccessKeyMetadata: [
        {
          UserName: 'alice',
          AccessKeyId: key.accessKeyId,
          Status: 'Active',
          CreateDate: '2026-03-01T10:00:00+00:00',
        },
      ],
    });
    expect(emulator.calls.at(-1)).toMatchObject({
      service: 'iam',
      operation: 'ListAccessKeys',
      status: 200,
    });
  });

  it('reads a secret value', async () => {
    const secret = emulator.seed.secret({ name: 'rekey/alice', value: '{"accessKeyId":"AKIA"}' });
    const result = await aws(emulator, [
      'secretsmanager',
      'get-secret-value',
      '--secret-id',
      'rekey/alice',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      ARN: secret.arn,
      Name: 'rekey/alice',
      VersionId: secret.versionId,
      SecretString: '{"accessKeyId":"AKIA"}',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: '2026-03-01T10:00:00+00:00',
    });
  });

  it('starts an execution that the runner receives', async () => {
    const definition = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const created = await aws(emulator, [
      'stepfunctions',
      'create-state-machine',
      '--name',
      'rotate',
      '--definition',
      definition,
      '--role-arn',
      'arn:aws:iam::123456789012:role/rekey',
    ]);
    expect(created.code).toBe(0);
    const { stateMachineArn } = JSON.parse(created.stdout) as { stateMachineArn: string };
    const started = await aws(emulator, [
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      stateMachineArn,
      '--name',
      'alice-2026-03-01',
      '--input',
      '{"userName":"alice"}',
    ]);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toEqual({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:rotate:alice-2026-03-01',
      startDate: '2026-03-01T10:00:00+00:00',
    });
    expect(runs.map((r) => [r.name, r.input])).toEqual([
      ['alice-2026-03-01', '{"userName":"alice"}'],
    ]);
  });

  it('prints the error code the emulator sent', async () => {
    const result = await aws(emulator, ['iam', 'get-user', '--user-name', 'nobody']);
    expect(result.code).toBe(254);
    expect(result.stderr).toContain(
      'An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name nobody cannot be found.',
    );
  });
});
