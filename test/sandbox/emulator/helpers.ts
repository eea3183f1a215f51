/** Shared set-up for the emulator tests: a movable clock and SDK client configuration. */
import type { Clock } from '../../../sandbox/contracts';
import { Emulator, type EmulatorOptions } from '../../../sandbox/emulator';

export class TestClock implements Clock {
  constructor(private current: Date = new Date('2026-03-01T10:00:00Z')) {}

  now(): Date {
    return new Date(this.current.getTime());
  }

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }

  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
}

export interface Harness {
  readonly emulator: Emulator;
  readonly clock: TestClock;
}

export async function startEmulator(
  options: Partial<Omit<EmulatorOptions, 'clock'>> = {},
  clock = new TestClock(),
): Promise<Harness> {
  const emulator = new Emulator({ clock, ...options });
  await emulator.start();
  return { emulator, clock };
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Client config for the real SDK clients; one attempt unless a test is about retries. */
export function clientConfig(
  emulator: Emulator,
  credentials: Credentials = emulator.admin,
  options: { region?: string; maxAttempts?: number } = {},
) {
  return {
    endpoint: emulator.endpoint,
    region: options.region ?? 'us-east-1',
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
  };
}

/** The rejection of a promise, for asserting error fields exactly. */
export async function failure(promise: Promise<unknown>): Promise<{
  name: string;
  message: string;
  Code?: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
}> {
  try {
    await promise;
  } catch (error) {
    return error as {
      name: string;
      message: string;
      Code?: string;
      $metadata: { httpStatusCode?: number; attempts?: number };
    };
  }
  throw new Error('Expected the call to fail, but it succeeded');
}
