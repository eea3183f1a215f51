/**
 * How a simulated application shows in CloudTrail: its own user agent (the SDK appends
 * `customUserAgent` to its own) and its own source address. Every 127.x.y.z address is the
 * loopback interface on Linux, so a client bound to 127.0.0.2 reaches the emulator on 127.0.0.1
 * and the emulator sees 127.0.0.2 as the source IP.
 */
import { Agent } from 'node:http';

export interface AppIdentity {
  /** A product token such as `billing-app/2.3`. */
  readonly userAgent?: string;
  /** A loopback address to send from, e.g. `127.0.0.2`. @default - 127.0.0.1 */
  readonly localAddress?: string;
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** SDK client settings that make requests carry the application's identity. */
export function identityConfig(identity: AppIdentity): {
  customUserAgent?: string;
  requestHandler?: { httpAgent: Agent };
} {
  const { userAgent, localAddress } = identity;
  if (localAddress !== undefined && !LOOPBACK.test(localAddress)) {
    throw new Error(
      `A simulated application's localAddress must be a loopback address such as 127.0.0.2; got ${localAddress}`,
    );
  }
  return {
    ...(userAgent !== undefined && { customUserAgent: userAgent }),
    ...(localAddress !== undefined && {
      requestHandler: { httpAgent: new Agent({ keepAlive: true, localAddress }) },
    }),
  };
}
