/** Runs the `rekey` CLI as a separate process, as an operator would, against an in-test sandbox. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Sandbox } from '../../sandbox/sandbox';

export const REKEY = path.resolve(__dirname, '..', '..', 'bin', 'rekey.js');

export interface CliRun {
  readonly args: readonly string[];
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * An environment with nothing from this machine's AWS set-up: an empty HOME and config files,
 * no instance metadata. The jest process's own AWS_* variables (the sandbox's Lambda principal)
 * are deliberately not passed on.
 */
export function bareEnv(): Record<string, string> {
  const home = mkdtempSync(path.join(tmpdir(), 'rekey-cli-home-'));
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The sandbox admin's credentials and region, as an operator would export them. */
export function sandboxEnv(sb: Sandbox): Record<string, string> {
  return {
    ...bareEnv(),
    AWS_ACCESS_KEY_ID: sb.emulator.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.emulator.admin.secretAccessKey,
    AWS_REGION: sb.region,
  };
}

/** Every run's output, to check afterwards that no secret access key ever appeared. */
export class Transcript {
  readonly runs: CliRun[] = [];

  text(): string {
    return this.runs.map((r) => `${r.stdout}\n${r.stderr}`).join('\n');
  }

  /** Real time per command, for the test report. */
  timings(): string {
    const total = this.runs.reduce((sum, r) => sum + r.ms, 0);
    const lines = this.runs.map(
      (r) => `  ${String(r.ms).padStart(6)} ms  rekey ${r.args.join(' ')}`,
    );
    return `${this.runs.length} CLI runs, ${total} ms\n${lines.join('\n')}`;
  }
}

/** Spawns `node bin/rekey.js ...args`; never spawnSync, or the in-test sandbox could not answer. */
export function rekey(
  args: readonly string[],
  options: {
    env: Record<string, string>;
    transcript?: Transcript;
    timeoutMs?: number;
    /** Sends SIGINT (Ctrl-C) once stdout matches. */
    interruptWhen?: RegExp;
  },
): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REKEY, ...args], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (options.interruptWhen?.test(stdout)) child.kill('SIGINT');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const run = { args, code, stdout, stderr, ms: Date.now() - started };
      options.transcript?.runs.push(run);
      resolve(run);
    });
  });
}

/** Parses a run's stdout as JSON, with the output in the message when it is not. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `rekey ${run.args.join(' ')} did not print JSON:\n${run.stdout}\n${run.stderr}`,
    );
  }
}

/** Every secret access key the sandbox account ever issued. */
export function secretAccessKeys(sb: Sandbox): string[] {
  return sb.emulator.state.accessKeys.map((k) => k.secretAccessKey).filter((s) => s.length > 0);
}

/** Moves sandbox time through the control route, as an operator would with curl. */
export async function advanceClock(sb: Sandbox, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sb.endpoint}/_sandbox/clock`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`POST /_sandbox/clock: ${response.status} ${await response.text()}`);
}

/** The state an execution is in now: the last state entered. */
export function currentState(sb: Sandbox, executionArn: string): string | undefined {
  const events = sb.execution(executionArn).events;
  for (let i = events.length - 1; i >= 0; i--) {
    const name = events[i]?.stateEnteredEventDetails?.name;
    if (name !== undefined) return name;
  }
  return undefined;
}
