/** Shared set-up for the emulator tests: a movable clock and SDK client configuration. */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
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

/**
 * Every emulator a test file starts is stopped when the file ends, whether or not its test reached
 * its own stop(): a failed expectation must not leave a listening server that keeps jest from
 * exiting. (At the end of the file, not of each test: some files share one emulator.)
 */
const running = new Set<Emulator>();
afterAll(async () => {
  await Promise.all([...running].map((emulator) => emulator.stop()));
  running.clear();
});

export async function startEmulator(
  options: Partial<Omit<EmulatorOptions, 'clock'>> = {},
  clock = new TestClock(),
): Promise<Harness> {
  const emulator = new Emulator({ clock, ...options });
  await emulator.start();
  running.add(emulator);
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

/** SHA-256 for SignatureV4 from node:crypto, so the tests need no extra package. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as Uint8Array);
    return createHmac('sha256', key);
  }
}

/** A raw, correctly signed request, for asserting wire formats the SDK hides. */
export async function signedFetch(
  emulator: Emulator,
  request: { service: string; body: string; target?: string; contentType?: string },
  credentials: Credentials = emulator.admin,
): Promise<Response> {
  const url = new URL(emulator.endpoint);
  const signer = new SignatureV4({
    service: request.service,
    region: 'us-east-1',
    credentials,
    sha256: NodeSha256,
  });
  const headers: Record<string, string> = {
    host: url.host,
    'content-type':
      request.contentType ??
      (request.target ? 'application/x-amz-json-1.1' : 'application/x-www-form-urlencoded'),
  };
  if (request.target) headers['x-amz-target'] = request.target;
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers,
    body: request.body,
  });
  return fetch(emulator.endpoint, { method: 'POST', headers: signed.headers, body: request.body });
}

/** A one-statement identity policy allowing `action` on `resource`. */
export function allow(action: string | string[], resource: string | string[]): object {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  };
}
