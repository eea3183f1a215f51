import {
  parseCredentialReport,
  pathOfUserArn,
  readCredentialReport,
} from '../../../lambdas/shared/credential-report';
import { ACCOUNT } from '../helpers';
import { COLUMNS, daysAgo, reportCsv, ROOT_ROW, userRow } from './fixtures';

const HEADER = COLUMNS.join(',');

describe('parseCredentialReport', () => {
  it('skips the root account row and keeps every user in report order', () => {
    const users = parseCredentialReport(
      reportCsv([{ name: 'alice', keys: [{ age: 10 }] }, { name: 'bob' }]),
    );

    expect(users.map((u) => u.userName)).toEqual(['alice', 'bob']);
  });

  it('reads both key slots: active flag, creation, last use, region and service', () => {
    const [user] = parseCredentialReport(
      reportCsv([
        {
          name: 'alice',
          keys: [
            { age: 95, lastUsed: daysAgo(1), region: 'eu-west-1', service: 's3' },
            { active: false, age: 20 },
          ],
        },
      ]),
    );

    expect(user).toEqual({
      userName: 'alice',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      path: '/',
      keys: [
        {
          slot: 1,
          active: true,
          lastRotated: new Date(daysAgo(95)),
          lastUsed: new Date(daysAgo(1)),
          lastUsedService: 's3',
          lastUsedRegion: 'eu-west-1',
        },
        {
          slot: 2,
          active: false,
          lastRotated: new Date(daysAgo(20)),
          lastUsed: undefined,
          lastUsedService: undefined,
          lastUsedRegion: undefined,
        },
      ],
    });
  });

  it('leaves out empty slots (last_rotated N/A), so a user without keys has none', () => {
    const users = parseCredentialReport(
      reportCsv([{ name: 'no-keys' }, { name: 'second-only', keys: [] }]),
    );

    expect(users.map((u) => u.keys)).toEqual([[], []]);
  });

  it('reads a key in slot 2 only as slot 2', () => {
    const row = userRow({ name: 'bob', keys: [{ age: 5 }] })
      // Move slot 1's five cells to slot 2: the first key was deleted, the second remains.
      .split(',');
    const slot1 = row.splice(8, 5, 'false', 'N/A', 'N/A', 'N/A', 'N/A');
    row.splice(13, 5, ...slot1);
    const [user] = parseCredentialReport([HEADER, ROOT_ROW, row.join(',')].join('\n'));

    expect(user?.keys.map((k) => [k.slot, k.active])).toEqual([[2, true]]);
  });

  it('treats N/A, no_information and not_supported as no date and no value', () => {
    const row = userRow({
      name: 'carol',
      keys: [
        { age: 30, lastUsed: 'no_information', region: 'N/A', service: 'not_supported' },
        { age: 40, lastUsed: 'N/A', region: 'not_supported', service: 'N/A' },
      ],
    });
    const [user] = parseCredentialReport([HEADER, row].join('\n'));

    for (const key of user?.keys ?? []) {
      expect(key).toMatchObject({
        lastUsed: undefined,
        lastUsedRegion: undefined,
        lastUsedService: undefined,
      });
    }
    expect(user?.keys).toHaveLength(2);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['false', false],
    ['FALSE', false],
  ])('reads an active flag of "%s" as %s', (flag, active) => {
    const row = userRow({ name: 'dave', keys: [{ age: 3, active: flag }] });
    const [user] = parseCredentialReport([HEADER, row].join('\n'));

    expect(row).toContain(`,${flag},${daysAgo(3)},`);
    expect(user?.keys[0]?.active).toBe(active);
  });

  it('reads a quoted user name that contains commas (IAM allows them)', () => {
    const name = 'svc,batch,eu';
    const users = parseCredentialReport(
      reportCsv([
        { name, path: '/apps/', keys: [{ age: 81 }] },
        { name: 'after', keys: [{ age: 2 }] },
      ]),
    );

    expect(users.map((u) => [u.userName, u.path, u.keys.length])).toEqual([
      [name, '/apps/', 1],
      ['after', '/', 1],
    ]);
    expect(users[0]?.arn).toBe(`arn:aws:iam::${ACCOUNT}:user/apps/${name}`);
  });

  it('reads the IAM path from the ARN, nested paths included', () => {
    const users = parseCredentialReport(
      reportCsv([
        { name: 'root-path' },
        { name: 'one', path: '/apps/' },
        { name: 'nested', path: '/apps/payments/eu/' },
      ]),
    );

    expect(users.map((u) => u.path)).toEqual(['/', '/apps/', '/apps/payments/eu/']);
  });

  it('ignores blank lines, including the trailing newline', () => {
    const csv = `${reportCsv([{ name: 'alice' }])}\n\n`;

    expect(parseCredentialReport(csv)).toHaveLength(1);
  });

  it('reads 10,000 users', () => {
    const users = Array.from({ length: 10_000 }, (_, i) => ({
      name: `user-${i}`,
      keys: [{ age: i % 120 }],
    }));

    const parsed = parseCredentialReport(reportCsv(users));

    expect(parsed).toHaveLength(10_000);
    expect(parsed[9_999]).toMatchObject({ userName: 'user-9999', path: '/' });
  });
});

describe('readCredentialReport: the root user', () => {
  const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
  const users = [{ name: 'alice', keys: [{ age: 85 }] }];

  it('reads a root row without keys as a root with none, apart from the users', () => {
    const report = readCredentialReport(reportCsv(users));

    expect(report.root).toEqual({ arn: ROOT_ARN, keys: [] });
    expect(report.users.map((u) => u.userName)).toEqual(['alice']);
  });

  it('reads one active root key with its dates, service and region', () => {
    const report = readCredentialReport(
      reportCsv(users, [{ age: 400, lastUsed: daysAgo(2), service: 'ec2', region: 'us-east-1' }]),
    );

    expect(report.root?.keys).toEqual([
      {
        slot: 1,
        active: true,
        lastRotated: new Date(daysAgo(400)),
        lastUsed: new Date(daysAgo(2)),
        lastUsedService: 'ec2',
        lastUsedRegion: 'us-east-1',
      },
    ]);
  });

  it('reads two root keys, active or not, by slot', () => {
    const report = readCredentialReport(
      reportCsv(users, [
        { age: 900, active: false },
        { age: 10, active: 'TRUE' },
      ]),
    );

    expect(report.root?.keys.map((k) => [k.slot, k.active, k.lastRotated])).toEqual([
      [1, false, new Date(daysAgo(900))],
      [2, true, new Date(daysAgo(10))],
    ]);
  });

  it.each([
    ['no key', []],
    ['one active key', [{ age: 400 }]],
    ['two active keys', [{ age: 400 }, { age: 5 }]],
  ])('never makes the root row a user, whatever its keys (%s)', (_, rootKeys) => {
    const csv = reportCsv(users, rootKeys);

    for (const list of [parseCredentialReport(csv), readCredentialReport(csv).users]) {
      expect(list.map((u) => u.userName)).toEqual(['alice']);
      expect(list.some((u) => u.arn.endsWith(':root'))).toBe(false);
    }
  });

  it('has no root when the report has no root row', () => {
    const report = readCredentialReport([HEADER, userRow({ name: 'bob' })].join('\n'));

    expect(report.root).toBeUndefined();
    expect(report.users.map((u) => u.userName)).toEqual(['bob']);
  });
});

describe('pathOfUserArn', () => {
  it.each([
    [`arn:aws:iam::${ACCOUNT}:user/alice`, 'alice', '/'],
    [`arn:aws:iam::${ACCOUNT}:user/apps/alice`, 'alice', '/apps/'],
    [`arn:aws:iam::${ACCOUNT}:user/a/b/c/alice`, 'alice', '/a/b/c/'],
    [`arn:aws-cn:iam::${ACCOUNT}:user/apps/alice`, 'alice', '/apps/'],
    // A path segment that ends like the name does not confuse it.
    [`arn:aws:iam::${ACCOUNT}:user/alice/alice`, 'alice', '/alice/'],
  ])('reads the path of %s (user %s) as %s', (arn, userName, path) => {
    expect(pathOfUserArn(arn, userName)).toBe(path);
  });
});
