/**
 * moto_server (Python, in this machine image) as the oracle the conformance tests compare the
 * emulator with: one server per test file, on a free loopback port. In CI a missing moto_server
 * fails the run (requireTool); elsewhere the tests that need it are skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { requireTool } from '../../setup/tools';

export const motoPath = requireTool('moto_server');

/** moto does not verify signatures unless told to, so any well-formed key is its administrator. */
export const MOTO_ADMIN = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) };

export interface Moto {
  readonly process: ChildProcess;
  readonly endpoint: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts moto_server with `env` added (e.g. INITIAL_NO_AUTH_ACTION_COUNT), once it answers. */
export async function startMoto(env: Record<string, string> = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoPath ?? 'moto_server', ['-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      return { process: child, endpoint };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill();
  throw new Error('moto_server did not answer within 20 s');
}
