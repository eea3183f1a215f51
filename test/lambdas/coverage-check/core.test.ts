import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackInstancesCommand,
} from '@aws-sdk/client-cloudformation';
import {
  ListAccountsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkCoverage,
  type CoverageDeps,
  type MemberClients,
} from '../../../lambdas/coverage-check/core';

const NOW = new Date('2026-06-01T12:00:00Z');
const MGMT = '000000000000';
const hoursAgo = (h: number): Date => new Date(NOW.getTime() - h * 3_600_000);

interface Member {
  readonly stack?: boolean;
  readonly assumable?: boolean;
  readonly scan?: { status: 'SUCCEEDED' | 'FAILED' | 'RUNNING'; ageHours: number } | 'none';
  readonly tags?: Record<string, string>;
  readonly boom?: boolean;
}

/** An Organization of fake accounts, with ListAccounts split into pages of two. */
function organization(members: Record<string, Member>): { deps: CoverageDeps; assumed: string[] } {
  const orgClient = new OrganizationsClient({});
  const org = mockClient(orgClient);
  const ids = Object.keys(members);
  const pages = [];
  for (let i = 0; i < ids.length; i += 2) pages.push(ids.slice(i, i + 2));
  pages.forEach((page, i) => {
    org
      .on(ListAccountsCommand, i === 0 ? { NextToken: undefined } : { NextToken: `t${i}` })
      .resolves({
        Accounts: page.map((Id) => ({ Id, Status: 'ACTIVE' })),
        NextToken: i + 1 < pages.length ? `t${i + 1}` : undefined,
      });
  });
  for (const [id, m] of Object.entries(members)) {
    const tags = Object.entries(m.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    if (m.boom) org.on(ListTagsForResourceCommand, { ResourceId: id }).rejects(new Error('boom'));
    else org.on(ListTagsForResourceCommand, { ResourceId: id }).resolves({ Tags: tags });
  }
  const centralClient = new CloudFormationClient({});
  const central = mockClient(centralClient);
  central.on(ListStackInstancesCommand).resolves({
    Summaries: Object.entries(members)
      .filter(([id, m]) => m.stack !== false && id !== MGMT)
      .map(([id]) => ({ Account: id, StackId: `stack-${id}` })),
  });
  const assumed: string[] = [];
  const assumeReader = (accountId: string): Promise<MemberClients> => {
    assumed.push(accountId);
    const m = members[accountId] ?? {};
    if (m.assumable === false) {
      return Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    }
    const cloudformation = new CloudFormationClient({});
    const cfn = mockClient(cloudformation);
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 's',
          CreationTime: NOW,
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'FleetScanStateMachineArn', OutputValue: `scan-${accountId}` }],
        },
      ],
    });
    const sfnClient = new SFNClient({});
    const sfn = mockClient(sfnClient);
    const scan = m.scan ?? { status: 'SUCCEEDED', ageHours: 2 };
    sfn.on(ListExecutionsCommand, { stateMachineArn: `scan-${accountId}` }).resolves({
      executions:
        scan === 'none'
          ? []
          : [
              {
                executionArn: 'e',
                stateMachineArn: `scan-${accountId}`,
                name: 'n',
                status: scan.status,
                startDate: hoursAgo(scan.ageHours + 1),
                stopDate: scan.status === 'RUNNING' ? undefined : hoursAgo(scan.ageHours),
              },
            ],
    });
    return Promise.resolve({ cloudformation, sfn: sfnClient });
  };
  return {
    assumed,
    deps: {
      organizations: orgClient,
      cloudformation: centralClient,
      assumeReader,
      now: () => NOW,
      config: {
        stackSetName: 'rekey-members',
        managementAccountId: MGMT,
        managementStackName: 'Rekey',
        maxScanAgeHours: 26,
        concurrency: 3,
      },
    },
  };
}

const reasons = (gaps: readonly { accountId: string; reason: string }[]): Record<string, string> =>
  Object.fromEntries(gaps.map((g) => [g.accountId, g.reason]));

describe('checkCoverage', () => {
  it('reads every page of accounts and finds a healthy Organization covered', async () => {
    const { deps, assumed } = organization({
      '111111111111': {},
      '222222222222': {},
      '333333333333': {},
      '444444444444': {},
      '555555555555': {},
    });
    const result = await checkCoverage(deps);

    expect(result.accounts).toBe(5);
    expect(result.gaps).toEqual([]);
    expect(result.covered).toBe(5);
    expect(assumed.sort()).toHaveLength(5);
  });

  it('reports each kind of gap, each account on its own, and one exception hides no other', async () => {
    const { deps } = organization({
      [MGMT]: { assumable: false },
      '111111111111': { stack: false },
      '222222222222': { assumable: false },
      '333333333333': { scan: { status: 'FAILED', ageHours: 1 } },
      '444444444444': { scan: { status: 'SUCCEEDED', ageHours: 30 } },
      '555555555555': { scan: 'none' },
      '666666666666': { boom: true },
      '777777777777': {},
    });
    const result = await checkCoverage(deps);

    expect(reasons(result.gaps)).toEqual({
      [MGMT]: 'management-account',
      '111111111111': 'no-stack',
      '222222222222': 'reader-unassumable',
      '333333333333': 'scan-failing',
      '444444444444': 'scan-stale',
      '555555555555': 'scan-missing',
      '666666666666': 'check-failed',
    });
    expect(result.covered).toBe(1);
    for (const gap of result.gaps) expect(gap.fix.length).toBeGreaterThan(10);
  });

  it('counts the management account covered when it has the plain stack and its reader', async () => {
    const { deps } = organization({ [MGMT]: {} });
    const result = await checkCoverage(deps);

    expect(result.gaps).toEqual([]);
  });

  it('applies rekey:* account-tag overrides and names an unknown one', async () => {
    const { deps } = organization({
      '111111111111': { stack: false, tags: { 'rekey:exempt': 'sandbox account, no IAM users' } },
      '222222222222': {
        scan: { status: 'SUCCEEDED', ageHours: 30 },
        tags: { 'rekey:maxScanAgeHours': '50' },
      },
      '333333333333': { tags: { 'rekey:rotateafter': '10' } },
      '444444444444': { tags: { 'rekey:maxScanAgeHours': 'soon' } },
    });
    const result = await checkCoverage(deps);

    expect(result.exempt).toEqual(['111111111111']);
    expect(reasons(result.gaps)).toEqual({
      '333333333333': 'bad-override',
      '444444444444': 'bad-override',
    });
    expect(result.gaps.find((g) => g.accountId === '333333333333')?.detail).toContain(
      'rekey:rotateafter',
    );
  });
});
