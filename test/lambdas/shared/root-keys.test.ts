import { readCredentialReport } from '../../../lambdas/shared/credential-report';
import {
  activeRootKeys,
  describeRootKeyFinding,
  ROOT_KEY_DELETE_URL,
  rootKeyFinding,
} from '../../../lambdas/shared/root-keys';
import { daysAgo, reportCsv, type SlotSpec } from '../fleet/fixtures';
import { ACCOUNT } from '../helpers';

const findingOf = (rootKeys: readonly SlotSpec[]) =>
  rootKeyFinding(readCredentialReport(reportCsv([{ name: 'alice' }], rootKeys)).root);

describe('rootKeyFinding', () => {
  it('finds nothing when the root user has no key', () => {
    expect(findingOf([])).toBeUndefined();
    expect(activeRootKeys(findingOf([]))).toBe(0);
  });

  it('finds nothing when the root user has only an inactive key', () => {
    expect(findingOf([{ age: 700, active: false }])).toBeUndefined();
  });

  it('finds nothing when the report has no root row', () => {
    expect(rootKeyFinding(undefined)).toBeUndefined();
  });

  it('reports one active root key as IAM.4, with the account, its dates and the advice', () => {
    const finding = findingOf([
      { age: 400, lastUsed: daysAgo(2), service: 's3', region: 'eu-west-1' },
    ]);

    expect(finding).toEqual({
      account: ACCOUNT,
      keys: [
        {
          slot: 1,
          active: true,
          lastRotated: new Date(daysAgo(400)).toISOString(),
          lastUsed: new Date(daysAgo(2)).toISOString(),
          lastUsedService: 's3',
          lastUsedRegion: 'eu-west-1',
        },
      ],
      control: 'IAM.4',
      advice: expect.stringContaining('only the root user can manage its own keys') as unknown,
    });
    expect(finding?.advice).toContain('rekey never rotates, deactivates or deletes');
    expect(finding?.advice).toContain(ROOT_KEY_DELETE_URL);
    expect(activeRootKeys(finding)).toBe(1);
    // Plain JSON: it travels in the scan's summary and events.
    expect(JSON.parse(JSON.stringify(finding))).toEqual(finding);
  });

  it('counts two active keys, and lists an inactive one beside an active one', () => {
    expect(activeRootKeys(findingOf([{ age: 400 }, { age: 5 }]))).toBe(2);

    const mixed = findingOf([{ age: 900, active: false }, { age: 5 }]);
    expect(mixed?.keys.map((k) => [k.slot, k.active])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(activeRootKeys(mixed)).toBe(1);
  });

  it('leaves the account out when the ARN is not a root ARN', () => {
    expect(
      rootKeyFinding({
        arn: 'N/A',
        keys: [{ slot: 1, active: true, lastRotated: new Date(daysAgo(1)) }],
      })?.account,
    ).toBeUndefined();
  });
});

describe('describeRootKeyFinding', () => {
  it('names each active key, when it was created and last used, then the advice', () => {
    const finding = findingOf([
      { age: 900, active: false },
      { age: 400, lastUsed: daysAgo(2), service: 's3', region: 'eu-west-1' },
    ]);
    if (!finding) throw new Error('expected a finding');

    expect(describeRootKeyFinding(finding)).toBe(
      `The root user of account ${ACCOUNT} has 1 active access key(s) (Security Hub IAM.4, critical): ` +
        `key 2 created ${daysAgo(400).slice(0, 10)}, last used ${daysAgo(2).slice(0, 10)} (s3 in eu-west-1). ` +
        finding.advice,
    );
  });

  it('says a key was never used', () => {
    const finding = findingOf([{ age: 30 }, { age: 3 }]);
    if (!finding) throw new Error('expected a finding');

    expect(describeRootKeyFinding(finding)).toContain(
      `2 active access key(s) (Security Hub IAM.4, critical): key 1 created ${daysAgo(30).slice(0, 10)}, never used; ` +
        `key 2 created ${daysAgo(3).slice(0, 10)}, never used. rekey never rotates`,
    );
  });
});
