/**
 * Runs `rekey credentials` as a separate process, the way the AWS CLI runs a
 * credential_process, in a home of its own: temporary AWS config and credentials files and a
 * temporary cache directory, nothing from this machine's AWS set-up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Sandbox } from '../../sandbox/sandbox';
import { rotate, seedUser, staged } from '../e2e/helpers';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const REKEY = path.join(REPO_ROOT, 'bin', 'rekey.js');

export interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface ProcessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A home directory with AWS files in it, and the environment that points at them. */
export interface Home {
  readonly dir: string;
  readonly cacheDir: string;
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly env: Record<string, string>;
  /** Rewrites the shared credentials file with these profiles (static keys). */
  setProfiles(profiles: Readonly<Record<string, Key>>): void;
}

export function makeHome(): Home {
  const dir = mkdtempSync(path.join(tmpdir(), 'rekey-credentials-home-'));
  const configFile = path.join(dir, 'aws-config');
  const credentialsFile = path.join(dir, 'aws-credentials');
  writeFileSync(configFile, '');
  const home: Home = {
    dir,
    cacheDir: path.join(dir, 'cache', 'rekey', 'credentials'),
    configFile,
    credentialsFile,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      AWS_CONFIG_FILE: configFile,
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    setProfiles: (profiles) => {
      const sections = Object.entries(profiles).map(
        ([name, key]) =>
          `[${name}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
      );
      writeFileSync(credentialsFile, sections.join('\n'), { mode: 0o600 });
    },
  };
  home.setProfiles({});
  return home;
}

/** Spawns `node bin/rekey.js credentials ...args`; async, so the in-test sandbox can answer. */
export function runCredentials(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  nodeOptions: readonly string[] = [],
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, REKEY, 'credentials', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The key a user's secret holds at AWSCURRENT (after a rotation: with its secret). */
export function currentKey(sb: Sandbox, userName: string): Key {
  const value = staged(sb, userName, 'AWSCURRENT')?.value ?? {};
  const { AccessKeyId, SecretAccessKey } = value;
  if (typeof AccessKeyId !== 'string' || typeof SecretAccessKey !== 'string') {
    throw new Error(`The secret of ${userName} holds no full key at AWSCURRENT`);
  }
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey };
}

/**
 * A user rekey has already rotated once through the real workflow: its only key is in its
 * secret, as an operator would hand it to an application.
 */
export async function rotatedUser(sb: Sandbox, userName: string): Promise<Key> {
  seedUser(sb, userName);
  const execution = await rotate(sb, { userName });
  if (execution.status !== 'SUCCEEDED') {
    throw new Error(`The first rotation of ${userName} ended ${execution.status}`);
  }
  return currentKey(sb, userName);
}
