/**
 * Emergency rotation end to end, under the sandbox's authorization: the exposed key is cut off as
 * soon as the new key is current, its CloudTrail events are looked up, operators are told at the
 * highest severity, and it is deleted after the emergency recovery window (a day). Applications
 * that read with a role keep working; one whose only identity is the exposed key is cut off
 * without a grace and moves with one.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { SimulatedConsumer } from '../../sandbox/apps/consumer';
import { Sandbox } from '../../sandbox/sandbox';
import { rekey, sandboxEnv } from '../cli/helpers';
import {
  accountSnapshot,
  advanceUntil,
  checkSecrecy,
  consumerOf,
  currentState,
  DAY,
  keyById,
  liveKeys,
  MINUTE,
  seedUser,
  staged,
  statesEntered,
  stopExecution,
  watch,
} from './helpers';
import { emergencyOf, exitedAt, keyOnlyApp, runToEnd } from './emergency-helpers';

let sb: Sandbox;
let apps: SimulatedConsumer[] = [];

beforeAll(async () => {
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
});

/** A role named in the user's rekey:readers tag, as an application reads with it. */
async function readerRole(userName: string): Promise<string> {
  const name = `${userName}-app-role`;
  const iam = new IAMClient(sb.clientConfig());
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${sb.emulator.accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
  } finally {
    iam.destroy();
  }
  return `arn:aws:iam::${sb.emulator.accountId}:role/${name}`;
}

describe('an emergency rotation', () => {
  it('with one key: rotates, cuts the exposed key off at once, reports, and deletes it after a day; a reader keeps working', async () => {
    const role = await readerRole('em-one');
    const user = seedUser(sb, 'em-one', {
      lastUsedDaysAgo: 1,
      tags: [{ Key: 'rekey:readers', Value: role }],
    });
    const monitor = watch(sb, ['em-one']);
    const reader = consumerOf(sb, user, 'prompt', 5, { cacheSeconds: 3600 });
    apps.push(reader);
    const keyOnly = keyOnlyApp(sb, user, 5);
    apps.push(keyOnly);
    reader.start();
    keyOnly.start();
    await sb.scheduler.advance(30 * MINUTE);

    const arn = await sb.startRotation(emergencyOf('em-one', user.oldKey.accessKeyId));
    await advanceUntil(sb, () => keyById(sb, user.oldKey.accessKeyId)?.status === 'Inactive', {
      stepMs: 10_000,
    });
    await sb.scheduler.advance(60 * MINUTE);
    const running = sb.execution(arn);
    expect(currentState(running)).toBe('RecoveryWindow');
    // No cutover wait: the exposed key went inactive within a minute of promotion.
    expect(
      exitedAt(running, 'DeactivateExposedKey') - exitedAt(running, 'PromoteKey'),
    ).toBeLessThan(MINUTE);
    const execution = await runToEnd(sb, arn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(statesEntered(execution)).toEqual(
      expect.arrayContaining([
        'StageKey',
        'VerifyKey',
        'PromoteKey',
        'DeactivateExposedKey',
        'Forensics',
        'DeleteOldKey',
      ]),
    );
    expect(statesEntered(execution)).not.toContain('DeactivateOldKey');
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeDefined();
    const [newKey] = liveKeys(sb, 'em-one');
    expect(newKey?.status).toBe('Active');
    // The recovery window was the emergency's day, not the policy's week.
    expect(
      exitedAt(execution, 'DeleteOldKey') - exitedAt(execution, 'DeactivateExposedKey'),
    ).toBeLessThan(DAY + 2 * 3_600_000);
    // The reader (a role in rekey:readers, on the provider) failed at most once.
    expect(reader.failures.length).toBeLessThanOrEqual(1);
    expect(reader.calls.at(-1)).toMatchObject({ ok: true, accessKeyId: newKey?.accessKeyId });
    // The key-only application was cut off with the key: no grace.
    const afterCutOff = keyOnly.calls.filter(
      (c) => c.at.getTime() > exitedAt(execution, 'DeactivateExposedKey'),
    );
    expect(afterCutOff.length).toBeGreaterThan(0);
    expect(afterCutOff.every((c) => !c.ok)).toBe(true);

    const notice = sb.emulator.notifications.find((n) =>
      n.Subject?.startsWith('rekey EMERGENCY: exposed key'),
    );
    expect(notice?.Subject).toBe(
      `rekey EMERGENCY: exposed key ${user.oldKey.accessKeyId} of em-one cut off`,
    );
    expect(notice?.Message).toContain('WHAT REKEY DID');
    expect(notice?.Message).toContain('QUARANTINE');
    expect(notice?.Message).toMatch(
      /Forensics since .* \(the last 24 hours: the exposure time is unknown\)/,
    );
    expect(notice?.Message).toContain('GetCallerIdentity');
    const cutOff = sb.emulator.events.find(
      (e) => e.DetailType === 'Exposed Key Cut Off' && e.Detail.userName === 'em-one',
    );
    expect(cutOff?.Detail.emergency).toMatchObject({
      accessKeyId: user.oldKey.accessKeyId,
      forensics: { sinceSource: 'last-24-hours' },
    });
    monitor.checkNoOrphans();
    checkSecrecy(sb, monitor, [execution]);
    expect(monitor.violations).toEqual([]);
    monitor.stop();
  }, 180_000);

  it('takes over a planned rotation waiting for cutover: stops it, keeps its new key, creates none', async () => {
    const user = seedUser(sb, 'em-take', { lastUsedDaysAgo: 1 });
    const monitor = watch(sb, ['em-take']);
    const planned = await sb.startRotation({ userName: 'em-take' });
    await advanceUntil(sb, () => currentState(sb.execution(planned)) === 'WaitForCutover', {
      stepMs: 10_000,
    });
    const promoted = staged(sb, 'em-take', 'AWSCURRENT')?.value.AccessKeyId;
    expect(promoted).not.toBe(user.oldKey.accessKeyId);

    const arn = await sb.startRotation(emergencyOf('em-take', user.oldKey.accessKeyId));
    const execution = await runToEnd(sb, arn);

    expect(sb.execution(planned).status).toBe('ABORTED');
    expect(execution.status).toBe('SUCCEEDED');
    expect(liveKeys(sb, 'em-take').map((k) => [k.accessKeyId, k.status])).toEqual([
      [promoted, 'Active'],
    ]);
    const started = sb.emulator.events.find(
      (e) => e.DetailType === 'Rotation Started' && e.Detail.executionArn === arn,
    );
    expect(started?.Detail.emergency).toMatchObject({ tookOver: planned, keptKey: promoted });
    expect(monitor.violations).toEqual([]);
    monitor.stop();
  }, 180_000);

  it('with two active keys, one exposed: keeps the current one and cuts the exposed one off', async () => {
    const user = seedUser(sb, 'em-two', { lastUsedDaysAgo: 1 });
    const planned = await sb.startRotation({ userName: 'em-two' });
    await advanceUntil(sb, () => currentState(sb.execution(planned)) === 'WaitForCutover', {
      stepMs: 10_000,
    });
    await stopExecution(sb, planned);
    const current = staged(sb, 'em-two', 'AWSCURRENT')?.value.AccessKeyId;
    expect(liveKeys(sb, 'em-two').map((k) => k.status)).toEqual(['Active', 'Active']);
    const monitor = watch(sb, ['em-two']);

    const execution = await runToEnd(
      sb,
      await sb.startRotation(emergencyOf('em-two', user.oldKey.accessKeyId)),
    );

    expect(execution.status).toBe('SUCCEEDED');
    expect(liveKeys(sb, 'em-two').map((k) => k.accessKeyId)).toEqual([current]);
    expect(monitor.violations).toEqual([]);
    monitor.stop();
  }, 180_000);

  it('with two active keys where the secret gives the exposed one: stops, says what to do, changes nothing', async () => {
    seedUser(sb, 'em-stuck', { lastUsedDaysAgo: 1 });
    const planned = await sb.startRotation({ userName: 'em-stuck' });
    await advanceUntil(sb, () => currentState(sb.execution(planned)) === 'WaitForCutover', {
      stepMs: 10_000,
    });
    await stopExecution(sb, planned);
    const exposed = String(staged(sb, 'em-stuck', 'AWSCURRENT')?.value.AccessKeyId);
    const before = accountSnapshot(sb);

    const execution = await runToEnd(sb, await sb.startRotation(emergencyOf('em-stuck', exposed)));

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('TwoActiveKeysError');
    expect(accountSnapshot(sb)).toBe(before);
    expect(execution.cause).toContain('never cuts off the key the secret names');
    expect(
      sb.emulator.notifications.some(
        (n) => n.Subject === 'rekey EMERGENCY: refused to rotate em-stuck',
      ),
    ).toBe(true);
  }, 180_000);

  it("starts from AWS Health's event through the rule, as the rule's role, and says when the key was exposed", async () => {
    const user = seedUser(sb, 'em-health', { lastUsedDaysAgo: 1 });
    const exposedAt = new Date(sb.clock.now().getTime() - 2 * 3_600_000);
    const [delivery, another] = await sb.exposeKey(user.oldKey.accessKeyId, exposedAt);
    expect(another).toBeUndefined();
    expect(delivery?.error).toBeUndefined();

    const execution = await runToEnd(sb, delivery?.executionArn ?? '');

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.input ?? '{}')).toMatchObject({ requestedBy: 'aws.health' });
    const cutOff = sb.emulator.events.find(
      (e) => e.DetailType === 'Exposed Key Cut Off' && e.Detail.userName === 'em-health',
    );
    expect(cutOff?.Detail.emergency).toMatchObject({
      source: 'aws.health',
      exposedAt: new Date(Math.floor(exposedAt.getTime() / 1000) * 1000).toISOString(),
      forensics: { sinceSource: 'exposure' },
    });
    // Whoever asks through PutEvents cannot pretend to be AWS Health.
    const bridge = new EventBridgeClient(sb.clientConfig());
    try {
      const out = await bridge.send(
        new PutEventsCommand({
          Entries: [{ Source: 'aws.health', DetailType: 'AWS Health Event', Detail: '{}' }],
        }),
      );
      expect(out.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
    } finally {
      bridge.destroy();
    }
  }, 180_000);

  it('from the CLI: starts it, shows it with its forensics, and rolls it back only with --force', async () => {
    const user = seedUser(sb, 'em-cli', { lastUsedDaysAgo: 1 });
    const cli = (args: string[]) =>
      rekey(['--endpoint-url', sb.endpoint, ...args], { env: sandboxEnv(sb) });
    const key = user.oldKey.accessKeyId;

    const stray = await cli(['rotate', 'em-cli', '--key', key]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--key goes only with --emergency');
    const noReason = await cli(['rotate', 'em-cli', '--emergency', '--key', key]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--emergency needs the exposed key and why');
    const badKey = await cli([
      'rotate',
      'em-cli',
      '--emergency',
      '--key',
      'AKIA1',
      '--reason',
      'x',
    ]);
    expect(badKey.code).toBe(2);

    const started = await cli([
      'rotate',
      'em-cli',
      '--emergency',
      '--key',
      key,
      '--reason',
      'pasted in chat',
    ]);
    expect(started.code).toBe(0);
    expect(started.stderr).toContain(
      `EMERGENCY: ${key} is deactivated as soon as the new key is current`,
    );
    await advanceUntil(sb, () => keyById(sb, key)?.status === 'Inactive', { stepMs: 10_000 });
    await sb.scheduler.advance(10 * MINUTE);

    const status = await cli(['status', 'em-cli']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('EMERGENCY: exposed key');
    expect(status.stdout).toContain('(pasted in chat)');
    expect(status.stdout).toMatch(/Forensics since .*from 24 hours before/);

    const refused = await cli(['rollback', 'em-cli']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('reactivating it gives whoever found it access again');
    expect(keyById(sb, key)?.status).toBe('Inactive');
    const forced = await cli(['rollback', 'em-cli', '--force', '--reason', 'test']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('WARNING:');
    expect(keyById(sb, key)?.status).toBe('Active');
  }, 180_000);

  it('refuses a malformed AWS Health event and changes nothing', async () => {
    seedUser(sb, 'em-bad');
    const before = accountSnapshot(sb);
    const execution = await runToEnd(
      sb,
      await sb.startRotation({
        emergency: {
          health: { eventTypeCode: 'AWS_RISK_CREDENTIALS_EXPOSED', affectedEntities: [] },
        },
        requestedBy: 'aws.health',
      }),
    );
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidInputError');
    expect(execution.cause).toContain('names no access key');
    expect(accountSnapshot(sb)).toBe(before);
  }, 60_000);
});
