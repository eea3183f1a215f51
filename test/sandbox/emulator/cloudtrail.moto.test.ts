/**
 * Conformance of CloudTrail LookupEvents with moto, where moto implements it. moto 5.2.1 does
 * not (its CloudTrail backend has trails, selectors and tags, no event history), so the emulator
 * is held to the documented shape in cloudtrail.test.ts. This test is the tripwire: when a moto
 * upgrade answers LookupEvents, it fails, and a field-by-field comparison belongs here.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { MOTO_ADMIN, motoPath, startMoto, type Moto } from './moto';
import { failure } from './helpers';

const maybe = motoPath ? describe : describe.skip;

maybe('CloudTrail LookupEvents on moto', () => {
  let moto: Moto;

  beforeAll(async () => {
    moto = await startMoto();
  }, 30_000);

  afterAll(() => {
    moto?.process.kill();
  });

  it('is not implemented by this moto (500), so there is nothing to compare yet', async () => {
    const client = new CloudTrailClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: MOTO_ADMIN,
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
