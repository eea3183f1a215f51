import { homedir } from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_REFRESH_SECONDS,
  parseOptions,
  type ProcessOptions,
} from '../../credentials/process/options';

function options(args: string[], env: NodeJS.ProcessEnv = {}): ProcessOptions {
  const parsed = parseOptions(args, env);
  if (parsed.help) throw new Error('expected options, got --help');
  return parsed.options;
}

function usageError(args: string[], env: NodeJS.ProcessEnv = {}): unknown {
  try {
    parseOptions(args, env);
  } catch (error) {
    return error;
  }
  throw new Error(`parseOptions(${args.join(' ')}) did not throw`);
}

describe('rekey credentials options', () => {
  it('has documented defaults: 20 minutes, ~/.cache/rekey/credentials, the environment as bootstrap', () => {
    expect(options(['--secret-id', 'rekey/alice'])).toEqual({
      secretId: 'rekey/alice',
      bootstrapProfile: undefined,
      refreshIntervalSeconds: 1200,
      cacheDir: path.join(homedir(), '.cache', 'rekey', 'credentials'),
      region: undefined,
      endpoint: undefined,
    });
    expect(DEFAULT_REFRESH_SECONDS).toBe(1200);
  });

  it('puts the cache under an absolute XDG_CACHE_HOME, and ignores a relative one', () => {
    expect(options(['--secret-id', 'a'], { XDG_CACHE_HOME: '/var/cache/u' }).cacheDir).toBe(
      '/var/cache/u/rekey/credentials',
    );
    expect(options(['--secret-id', 'a'], { XDG_CACHE_HOME: 'rel/cache' }).cacheDir).toBe(
      path.join(homedir(), '.cache', 'rekey', 'credentials'),
    );
  });

  it('takes --cache-dir over XDG_CACHE_HOME, as an absolute path', () => {
    const parsed = options(['--secret-id', 'a', '--cache-dir', 'here'], { XDG_CACHE_HOME: '/x' });
    expect(parsed.cacheDir).toBe(path.resolve('here'));
  });

  it('takes the region from --region, else the ARN, else AWS_REGION, else AWS_DEFAULT_REGION', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rekey/alice-AbCdEf';
    const env = { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'ap-south-1' };

    expect(options(['--secret-id', arn, '--region', 'sa-east-1'], env).region).toBe('sa-east-1');
    expect(options(['--secret-id', arn], env).region).toBe('eu-west-1');
    expect(options(['--secret-id', 'rekey/alice'], env).region).toBe('us-east-2');
    expect(
      options(['--secret-id', 'rekey/alice'], { AWS_DEFAULT_REGION: 'ap-south-1' }).region,
    ).toBe('ap-south-1');
  });

  it('takes the endpoint from --endpoint-url, else the SDK’s own variables', () => {
    const env = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:2',
    };

    expect(options(['--secret-id', 'a', '--endpoint-url', 'https://x.example'], env).endpoint).toBe(
      'https://x.example',
    );
    expect(options(['--secret-id', 'a'], env).endpoint).toBe('http://127.0.0.1:1');
    expect(options(['--secret-id', 'a'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }).endpoint).toBe(
      'http://127.0.0.1:2',
    );
  });

  it.each([
    [['--secret-id', 'a', '--refresh-interval', '59'], 'from 60 to 43200; got "59"'],
    [['--secret-id', 'a', '--refresh-interval', '5m'], 'from 60 to 43200; got "5m"'],
    [['--secret-id', 'a', '--endpoint-url', 'localhost:4599'], 'is not an http(s) URL'],
    [['--secret-id', 'a', '--bootstrap-profile', ' '], '--bootstrap-profile is empty'],
    [['--secret-id', 'a', '--profile', 'x'], "Unknown option '--profile'"],
    [['--secret-id', 'a', 'extra'], "Unexpected argument 'extra'"],
    [[], '--secret-id is required'],
  ])('refuses %j with a usage error (exit 2)', (args, message) => {
    expect(usageError(args)).toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(message) as unknown,
    });
  });

  it('answers --help and -h', () => {
    expect(parseOptions(['--help'], {})).toEqual({ help: true });
    expect(parseOptions(['-h'], {})).toEqual({ help: true });
  });
});
