/**
 * A simulated application that is the AWS CLI v2 itself: every few sandbox minutes it runs
 * `aws sts get-caller-identity` with a profile whose credentials come from a credential_process
 * (in the tests, `rekey credentials`). The CLI runs that process for every command, as it does
 * on a real machine, so whatever key the process prints is the key that signs.
 */
import { execFile } from 'node:child_process';
import type { CallRecord, Clock } from '../contracts';
import type { Scheduler } from '../clock';
import type { ConsumerCall } from './consumer';

export interface AwsCliConsumerOptions {
  /** The AWS CLI v2 executable. @default '/usr/bin/aws' */
  readonly cli?: string;
  /** The profile to run commands with (it holds the credential_process). */
  readonly profile: string;
  /** The CLI's environment: HOME, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and so on. */
  readonly env: Readonly<Record<string, string>>;
  /** Passed as --endpoint-url: the CLI 2.9 ignores AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** The emulator's call records, to see which key signed each command. */
  readonly emulatorCalls: () => readonly CallRecord[];
  /** Sandbox seconds between two commands. @default 300 */
  readonly periodSeconds?: number;
}

/** One command's outcome, with what the CLI printed (for the secrecy checks). */
export interface AwsCliCall extends ConsumerCall {
  readonly stdout: string;
  readonly stderr: string;
}

export class AwsCliConsumer {
  readonly calls: AwsCliCall[] = [];
  private readonly abort = new AbortController();
  private loop?: Promise<void>;

  constructor(private readonly options: AwsCliConsumerOptions) {}

  get failures(): AwsCliCall[] {
    return this.calls.filter((c) => !c.ok);
  }

  start(): void {
    const period = (this.options.periodSeconds ?? 300) * 1000;
    const run = async (): Promise<void> => {
      while (!this.abort.signal.aborted) {
        await this.options.scheduler.track(this.tick());
        // An aborted sleep rejects: that is how the loop ends.
        await this.options.scheduler.sleep(period, this.abort.signal).catch(() => undefined);
      }
    };
    this.loop = run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /**
   * One command. The sandbox clock stands still while it runs (it is tracked); started while
   * everything else is idle, as the scheduler wakes timers one at a time, the emulator's calls
   * in that window are this command's alone. A tick that cannot tell its key is a failure.
   */
  async tick(): Promise<AwsCliCall> {
    const { options } = this;
    const mark = options.emulatorCalls().length;
    const at = options.clock.now();
    const args = ['sts', 'get-caller-identity', '--profile', options.profile];
    const { code, stdout, stderr } = await new Promise<{
      code: number;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        options.cli ?? '/usr/bin/aws',
        [...args, '--endpoint-url', options.endpoint, '--output', 'json'],
        { env: { ...options.env }, timeout: 60_000 },
        (error, out, err) => {
          const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code: status, stdout: out, stderr: err });
        },
      );
    });
    const signed = options
      .emulatorCalls()
      .slice(mark)
      .filter((c) => c.service === 'sts' && c.operation === 'GetCallerIdentity');
    // Another GetCallerIdentity in the window (rekey's VerifyKey) would make the key unknowable.
    const error =
      code !== 0
        ? `exit ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`
        : signed.length !== 1
          ? `${signed.length} GetCallerIdentity calls while the command ran: cannot tell its key`
          : undefined;
    const call: AwsCliCall = {
      at,
      accessKeyId: signed[0]?.accessKeyId ?? '',
      ok: error === undefined && signed[0]?.status === 200,
      ...(error !== undefined && { error }),
      stdout,
      stderr,
    };
    this.calls.push(call);
    return call;
  }
}
