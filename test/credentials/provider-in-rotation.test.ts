import { SimulatedConsumer } from '../../sandbox/apps/consumer';
import { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import type { RotationState } from '../../lambdas/shared/types';

const DAY = 86_400_000;
const REFRESH_SECONDS = 300;

/**
 * An application that reads its key through fromRekeySecret keeps working through a whole
 * rotation, and the cutover completes at the first check, as soon as last-used data can show it.
 */
describe('fromRekeySecret through a whole rotation in the sandbox', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await Sandbox.start({
      lastUsedLagSeconds: 0,
      context: { 'rekey:lastUsedReportingLagHours': 0, 'rekey:recoveryWindowDays': 1 },
    });
  });

  afterAll(async () => {
    await sb.stop();
  });

  async function untilFinished(arn: string): Promise<void> {
    while (sb.execution(arn).status === 'RUNNING') await new Promise((r) => setTimeout(r, 10));
  }

  it('moves the application to the new key with no failed call; the first cutover check finds it switched', async () => {
    const now = sb.clock.now().getTime();
    sb.emulator.seed.user({ userName: 'payments' });
    const oldKey = sb.emulator.seed.accessKey({
      userName: 'payments',
      createDate: new Date(now - 85 * DAY),
      lastUsed: { date: new Date(now - 60_000), service: 'sts', region: sb.region },
    });
    const monitor = new InvariantMonitor(sb.emulator, {
      users: ['payments'],
      secretPrefix: sb.secretPrefix,
    }).start();
    const app = new SimulatedConsumer({
      name: 'payments-api',
      behaviour: 'prompt',
      secretId: `${sb.secretPrefix}payments`,
      initialKey: oldKey,
      readerCredentials: sb.applicationCredentials('payments-api', 'payments'),
      endpoint: sb.endpoint,
      region: sb.region,
      clock: sb.clock,
      scheduler: sb.scheduler,
      periodSeconds: 300,
      cacheSeconds: REFRESH_SECONDS,
    });

    app.start();
    const arn = await sb.startRotation({ userName: 'payments' });
    await untilFinished(arn);
    await app.stop();
    monitor.checkNoOrphans();
    monitor.stop();

    const execution = sb.execution(arn);
    const state = JSON.parse(execution.output ?? '{}') as RotationState;
    expect(execution.status).toBe('SUCCEEDED');
    expect(app.failures).toEqual([]);
    expect(monitor.violations).toEqual([]);
    expect(state.cutover).toMatchObject({ polls: 1, verdict: 'switched' });
    const promotedAt = Date.parse(state.promotedAt ?? '');
    const firstNew = app.calls.find((c) => c.accessKeyId === state.newKey?.accessKeyId);
    const lastOld = [...app.calls].reverse().find((c) => c.accessKeyId === oldKey.accessKeyId);
    // The provider re-read the secret within one refresh interval (plus one request period).
    expect((firstNew?.at.getTime() ?? Infinity) - promotedAt).toBeLessThanOrEqual(
      (REFRESH_SECONDS + 300) * 1000,
    );
    expect(lastOld?.at.getTime()).toBeLessThan(firstNew?.at.getTime() ?? 0);
    expect(
      app.calls.filter((c) => c.at.getTime() > promotedAt + (REFRESH_SECONDS + 300) * 1000),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ accessKeyId: state.newKey?.accessKeyId, ok: true }),
      ]),
    );
    expect(
      app.calls.some(
        (c) =>
          c.accessKeyId === oldKey.accessKeyId && c.at.getTime() > (firstNew?.at.getTime() ?? 0),
      ),
    ).toBe(false);
  });
});
