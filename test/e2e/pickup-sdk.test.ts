/**
 * An application holding only alice's key follows three consecutive rotations through rekey's
 * SDK v3 provider, which reads her secret signed with the key it holds (no reader client).
 */
import { SimulatedConsumer } from '../../sandbox/apps/consumer';
import type { Sandbox } from '../../sandbox/sandbox';
import { checkSecrecy, keyById, liveKeys, output, watch } from './helpers';
import {
  aliceRotatedOnce,
  keysInOrder,
  newKeys,
  PERIOD_MINUTES,
  secretReadsBy,
  startSandbox,
  threeRotations,
} from './pickup-helpers';

describe('an application holding only alice’s key, through rekey’s SDK v3 provider', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await startSandbox();
  }, 60_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it('follows three consecutive rotations with no failed call; every cutover ends switched', async () => {
    const initial = await aliceRotatedOnce(sb);
    const monitor = watch(sb, ['alice']);
    // No reader credentials: the provider reads alice's secret with the key it holds.
    const app = new SimulatedConsumer({
      name: 'alice-app',
      behaviour: 'prompt',
      secretId: `${sb.secretPrefix}alice`,
      initialKey: initial,
      endpoint: sb.endpoint,
      region: sb.region,
      clock: sb.clock,
      scheduler: sb.scheduler,
      periodSeconds: PERIOD_MINUTES * 60,
      cacheSeconds: 10 * 60,
    });
    const mark = sb.emulator.calls.length;
    app.start();
    await sb.settle();

    const executions = await threeRotations(sb, app);
    await app.stop();

    expect(app.failures).toEqual([]);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(executions.map((e) => output(e).cutover)).toEqual([
      expect.objectContaining({ verdict: 'switched' }),
      expect.objectContaining({ verdict: 'switched' }),
      expect.objectContaining({ verdict: 'switched' }),
    ]);
    const published = newKeys(executions);
    expect(keysInOrder(app.calls)).toEqual([initial.accessKeyId, ...published]);
    // Every read of the secret was signed with one of alice's own keys.
    const aliceKeys = [initial.accessKeyId, ...published];
    const reads = secretReadsBy(sb.emulator.calls.slice(mark), aliceKeys);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.every((c) => c.status === 200)).toBe(true);
    expect(liveKeys(sb, 'alice').map((k) => k.accessKeyId)).toEqual(published.slice(-1));
    expect(keyById(sb, initial.accessKeyId)?.deletedAt).toBeInstanceOf(Date);
    monitor.checkNoOrphans();
    checkSecrecy(sb, monitor, executions);
    monitor.stop();
    expect(monitor.violations).toEqual([]);
  });
});
