/**
 * Which users the fleet scan manages, on a sandbox deployed with opt-in selection and a managed
 * path (`rekey:userSelection` opt-in, `rekey:managedPath` /apps/): only users under the path
 * are scanned, and of those only the ones tagged `rekey:rotate=true` are rotated.
 */
import { Sandbox } from '../../../sandbox/sandbox';
import {
  iamCallCounts,
  rotationName,
  rotationStatuses,
  scanAndSettle,
  scanIamCalls,
  scanMetrics,
  scanNotifications,
  seedOne,
  userSnapshot,
  type FleetUser,
  type ScanRun,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start({
    context: { 'rekey:userSelection': 'opt-in', 'rekey:managedPath': '/apps/' },
  });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const OPTED_IN = { 'rekey:rotate': 'true' };

const FLEET: FleetUser[] = [
  { userName: 'apps-opted-in', path: '/apps/', tags: OPTED_IN },
  { userName: 'apps-untagged', path: '/apps/' },
  { userName: 'apps-opted-out', path: '/apps/', tags: { 'rekey:rotate': 'false' } },
  { userName: 'apps-team-opted-in', path: '/apps/team/', tags: OPTED_IN },
  { userName: 'root-path-opted-in', path: '/', tags: OPTED_IN, keys: [{ ageDays: 95 }] },
  { userName: 'other-path-opted-in', path: '/other/', tags: OPTED_IN, keys: [{ ageDays: 95 }] },
];
const OUTSIDE = ['root-path-opted-in', 'other-path-opted-in'];

let run: ScanRun;
const names = new Map<string, string>();
const before = new Map<string, string>();

beforeAll(async () => {
  for (const user of FLEET)
    names.set(user.userName, rotationName(user.userName, seedOne(sb, user)));
  for (const user of FLEET) before.set(user.userName, userSnapshot(sb, user.userName));
  run = await scanAndSettle(sb);
});

describe('opt-in selection', () => {
  it('rotates only the users tagged rekey:rotate=true, to completion', () => {
    expect(rotationStatuses(sb)).toEqual(
      [
        `${names.get('apps-opted-in')}: SUCCEEDED`,
        `${names.get('apps-team-opted-in')}: SUCCEEDED`,
      ].sort(),
    );
    expect(run.summary.users.started).toEqual(['apps-opted-in', 'apps-team-opted-in']);
  });

  it('reports the untagged and the rekey:rotate=false users as not selected, unchanged', () => {
    expect(run.summary.users.optedOut).toEqual(['apps-untagged', 'apps-opted-out']);
    for (const userName of ['apps-untagged', 'apps-opted-out']) {
      expect(userSnapshot(sb, userName)).toBe(before.get(userName));
    }
  });
});

describe('the managed path', () => {
  it('counts users outside it in the report but neither decides nor rotates them', () => {
    expect(run.summary).toMatchObject({ usersScanned: 6, usersManaged: 4, tagReads: 4 });
    const listed = Object.values(run.summary.users).flat();
    for (const userName of OUTSIDE) expect(listed).not.toContain(userName);
    for (const userName of OUTSIDE) expect(userSnapshot(sb, userName)).toBe(before.get(userName));
  });

  it('reads tags only of users under the path', () => {
    expect(iamCallCounts(scanIamCalls(sb))).toEqual({
      GenerateCredentialReport: 2,
      GetCredentialReport: 1,
      ListUserTags: 4,
    });
  });

  it('raises no alarm for keys past the maximum age outside it', () => {
    expect(run.summary.counts.overdue).toBe(0);
    expect(scanMetrics(sb)['rekey/KeysPastMaxAge']).toBe(0);
    expect(scanNotifications(sb)).toEqual([]);
  });
});
