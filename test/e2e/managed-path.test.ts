/**
 * A deployment scoped to one IAM path (managedPath '/apps/'): Inspect may read only users under
 * it, so a user outside it is refused with the documented reason, and nothing changes.
 */
import { Sandbox } from '../../sandbox/sandbox';
import { accountSnapshot, rotate } from './helpers';

describe('a scoped managedPath', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.start({ context: { 'rekey:managedPath': '/apps/' } });
  });
  afterAll(() => sb.stop());

  it('refuses a user outside it with UserNotManagedError, changes nothing and says why', async () => {
    sb.emulator.seed.user({ userName: 'zed', path: '/ops/' });
    sb.emulator.seed.accessKey({
      userName: 'zed',
      createDate: new Date(Date.now() - 90 * 86_400_000),
    });
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, { userName: 'zed' });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('UserNotManagedError');
    expect(execution.cause).toContain('arn:aws:iam::123456789012:user/ops/zed');
    expect(execution.cause).toContain(
      'outside the IAM path this rekey deployment manages (/apps/)',
    );
    expect(accountSnapshot(sb)).toBe(before);
    const refused = sb.emulator.events.filter((e) => e.DetailType === 'Rotation Refused');
    expect(refused.map((e) => e.Detail.error)).toEqual(['UserNotManagedError']);
  });

  it('rotates a user inside it', async () => {
    sb.emulator.seed.user({ userName: 'amy', path: '/apps/' });
    sb.emulator.seed.accessKey({
      userName: 'amy',
      createDate: new Date(Date.now() - 90 * 86_400_000),
    });

    const execution = await rotate(sb, { userName: 'amy' });

    expect(execution.status).toBe('SUCCEEDED');
  });
});
