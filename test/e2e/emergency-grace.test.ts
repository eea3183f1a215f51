/**
 * An emergency with a grace (emergencyGrace, 10 minutes here): the exposed key stays active that
 * long after the new key is current, so an application whose only identity is the exposed key
 * reads the new one before it is cut off. (A deployment of its own: one emulator per file.)
 */
import { Sandbox } from '../../sandbox/sandbox';
import { liveKeys, MINUTE, seedUser } from './helpers';
import { emergencyOf, exitedAt, keyOnlyApp, runToEnd } from './emergency-helpers';

describe('an emergency rotation with a grace', () => {
  let graced: Sandbox;
  beforeAll(async () => {
    graced = await Sandbox.start({
      clockMode: 'manual',
      context: { 'rekey:emergencyGraceMinutes': 10 },
    });
  }, 60_000);
  afterAll(async () => {
    await graced?.stop();
  });

  it('keeps the exposed key active for the grace, so an application whose only identity it is moves', async () => {
    const user = seedUser(graced, 'em-grace', { lastUsedDaysAgo: 1 });
    const keyOnly = keyOnlyApp(graced, user, 2);
    keyOnly.start();
    try {
      await graced.scheduler.advance(10 * MINUTE);

      const execution = await runToEnd(
        graced,
        await graced.startRotation(emergencyOf('em-grace', user.oldKey.accessKeyId)),
      );
      await graced.scheduler.advance(30 * MINUTE);

      expect(execution.status).toBe('SUCCEEDED');
      const cutOffAt = exitedAt(execution, 'DeactivateExposedKey');
      expect(cutOffAt - exitedAt(execution, 'PromoteKey')).toBeGreaterThanOrEqual(10 * MINUTE);
      const [newKey] = liveKeys(graced, 'em-grace');
      const after = keyOnly.calls.filter((c) => c.at.getTime() > cutOffAt);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((c) => c.ok && c.accessKeyId === newKey?.accessKeyId)).toBe(true);
    } finally {
      await keyOnly.stop();
    }
  }, 180_000);
});
