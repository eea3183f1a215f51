/**
 * The key-slot row "one active, one inactive" under a deployment that does not let rekey delete
 * inactive keys (context rekey:inactiveKeyAction=refuse). Handlers read the deployment's
 * settings once per process, so this deployment has its own test file.
 */
import { Sandbox } from '../../sandbox/sandbox';
import {
  accountSnapshot,
  DAY,
  eventsOf,
  notificationsAbout,
  rotate,
  seedUser,
  statesEntered,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start({ context: { 'rekey:inactiveKeyAction': 'refuse' } });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

it('refuses a user holding an inactive key with InactiveKeyPresentError, changes nothing and notifies', async () => {
  const user = seedUser(sb, 'refuse-inactive');
  const inactive = sb.emulator.seed.accessKey({
    userName: user.userName,
    status: 'Inactive',
    createDate: new Date(sb.clock.now().getTime() - 200 * DAY),
  });
  const before = accountSnapshot(sb);

  const execution = await rotate(sb, { userName: user.userName });

  expect(execution.status).toBe('FAILED');
  expect(execution.error).toBe('InactiveKeyPresentError');
  expect(execution.cause).toContain(inactive.accessKeyId);
  expect(execution.cause).toMatch(/inactiveKeyAction=refuse/);
  expect(execution.cause).toMatch(/Delete it, then start again/);
  expect(statesEntered(execution)).toEqual([
    'Inspect',
    'RefusedCause',
    'RefusedParseCause',
    'Refused',
  ]);
  expect(accountSnapshot(sb)).toBe(before);
  expect(eventsOf(sb, user.userName)).toEqual(['Rotation Refused']);
  expect(notificationsAbout(sb, user.userName)).toEqual([
    expect.stringContaining(`rekey refused to rotate ${user.userName}`) as unknown,
  ]);
});

it('still rotates a user with one active key and no inactive one', async () => {
  const user = seedUser(sb, 'refuse-only-active');

  const execution = await rotate(sb, { userName: user.userName });

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.output).toContain('"inactiveKeyAction":"refuse"');
});
