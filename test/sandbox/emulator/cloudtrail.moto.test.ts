/**
 * Conformance of CloudTrail LookupEvents with moto, where moto implements it. moto 5.2.1 does
 * not (its CloudTrail backend has trails, selectors and tags, no event history), so the emulator
 * is held to the documented shape in cloudtrail.test.ts. This test is the tripwire: when a moto
 * upgrade answers LookupEvents, it fails, and a field-by-field comparison belongs here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { requireTool } from '../../setup/tools';
import { failure } from './helpers';

const motoPath = requireTool('moto_server');
const maybe = motoPath ? describe : describe.skip;

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

async function waitUntilAnswering(endpoint: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('moto_server did not answer within 20 s');
}

maybe('CloudTrail LookupEvents on moto', () => {
  let moto: ChildProcess;
  let endpoint: string;

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn(motoPath ?? 'moto_server', ['-p', String(port)], { stdio: 'ignore' });
    await waitUntilAnswering(endpoint, moto);
  }, 30_000);

  afterAll(() => {
    moto?.kill();
  });

  it('is not implemented by this moto (500), so there is nothing to compare yet', async () => {
    const client = new CloudTrailClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
      maxAttempts: 1,
    });

    const answer = await failure(
      client.send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: 'AccessKeyId', AttributeValue: 'AKIAIOSFODNN7EXAMPLE' },
          ],
        }),
      ),
    );

    expect(answer.$metadata.httpStatusCode).toBe(500);
  });
});
