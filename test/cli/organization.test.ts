/**
 * `rekey report --organization` and `rekey status --organization` over mocked Organizations,
 * STS, IAM, CloudFormation and Step Functions clients: every account through its reader role,
 * one account's failure beside the others, never instead of them.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
  type Account,
} from '@aws-sdk/client-organizations';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  organizationReportCommand,
  organizationStatusCommand,
  type OrganizationReportFlags,
} from '../../cli/commands/organization';
import type { Context } from '../../cli/context';
import type { OrganizationReport } from '../../cli/organization';
import { createOutput } from '../../cli/output';
import { daysAgo, reportContent, type SlotSpec, type UserSpec } from '../lambdas/fleet/fixtures';
import { NOW } from '../lambdas/helpers';

const MANAGEMENT = '111111111111';
const CENTRAL = '222222222222';
const ALPHA = '333333333333';
const DELETED_READER = '444444444444';
const ROOTED = '555555555555';
const SUSPENDED = '666666666666';
const MEMBER_STACK = 'StackSet-rekey-members-0b7e';

const orgs = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);

/** Each member session's key id names its account, so a mock can tell whose client called. */
const accountOf = async (client: { config: { credentials: unknown } }): Promise<string> => {
  const provider = client.config.credentials as () => Promise<{ accessKeyId: string }>;
  return (await provider()).accessKeyId.slice(4);
};

const denied = (message: string): Error =>
  Object.assign(new Error(message), { name: 'AccessDenied' });

const account = (Id: string, Name: string, Status = 'ACTIVE'): Account =>
  ({ Id, Name, Status }) as Account;

const USERS: Record<string, { users: UserSpec[]; root?: SlotSpec[] }> = {
  [CENTRAL]: { users: [{ name: 'ops', keys: [{ age: 5 }] }] },
  [ALPHA]: {
    users: [
      { name: 'alice', keys: [{ age: 10 }] },
      { name: 'old-bob', keys: [{ age: 120 }] },
    ],
  },
  [ROOTED]: {
    users: [{ name: 'carol', keys: [{ age: 30 }] }],
    root: [{ age: 400, lastUsed: daysAgo(2), service: 's3', region: 'us-east-1' }],
  },
};

const assumed: string[] = [];

function given(): void {
  for (const m of [orgs, sts, iam, cfn, sfn]) m.reset();
  assumed.length = 0;
  orgs.on(DescribeOrganizationCommand).resolves({
    Organization: { Id: 'o-abc123defg', MasterAccountId: MANAGEMENT },
  });
  // Two pages, as ListAccounts gives at most 20 a page.
  orgs
    .on(ListAccountsCommand, { NextToken: undefined })
    .resolves({
      Accounts: [
        account(MANAGEMENT, 'management'),
        account(CENTRAL, 'security'),
        account(ALPHA, 'alpha'),
      ],
      NextToken: 'page-2',
    })
    .on(ListAccountsCommand, { NextToken: 'page-2' })
    .resolves({
      Accounts: [
        account(DELETED_READER, 'legacy'),
        account(ROOTED, 'rooted'),
        account(SUSPENDED, 'closing', 'SUSPENDED'),
      ],
    });
  sts.on(GetCallerIdentityCommand).resolves({
    Account: CENTRAL,
    Arn: `arn:aws:sts::${CENTRAL}:assumed-role/RekeyOrganizationReporter/me`,
  });
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const id = /iam::(\d{12}):role\/RekeyOrganizationReader$/.exec(input.RoleArn)?.[1];
    if (!id) throw new Error(`unexpected role ${input.RoleArn}`);
    assumed.push(id);
    if (id === MANAGEMENT || id === DELETED_READER)
      throw denied(
        `User: arn:aws:sts::${CENTRAL}:assumed-role/RekeyOrganizationReporter/me is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
      );
    return {
      Credentials: {
        AccessKeyId: `ASIA${id}`,
        SecretAccessKey: 'session-secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 900_000),
      },
    };
  });
  cfn.on(DescribeStacksCommand).callsFake(async (input: { StackName: string }, getClient) => {
    const id = await accountOf(getClient());
    if (input.StackName !== MEMBER_STACK)
      throw denied('not authorized to perform: cloudformation:DescribeStacks');
    return {
      Stacks: [
        {
          StackName: MEMBER_STACK,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: NOW,
          Outputs: [
            {
              OutputKey: 'RotationStateMachineArn',
              OutputValue: `arn:aws:states:us-east-1:${id}:stateMachine:rekey-rotation`,
            },
          ],
        },
      ],
    };
  });
  cfn.on(ListStacksCommand).resolves({
    StackSummaries: [
      { StackName: 'unrelated', StackStatus: 'CREATE_COMPLETE', CreationTime: NOW },
      { StackName: MEMBER_STACK, StackStatus: 'CREATE_COMPLETE', CreationTime: NOW },
    ],
  });
  iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iam.on(GetCredentialReportCommand).callsFake(async (_input, getClient) => {
    const spec = USERS[await accountOf(getClient())];
    if (!spec) throw new Error('no users for this account');
    return { Content: reportContent(spec.users, spec.root), GeneratedTime: NOW };
  });
  iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
}

const ctx: Context = {
  clients: {
    iam: new IAMClient({ region: 'us-east-1' }),
    cfn: new CloudFormationClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    secrets: {} as SecretsManagerClient,
    sts: new STSClient({ region: 'us-east-1' }),
  },
  stackName: 'Rekey',
  region: () => Promise.resolve('us-east-1'),
  now: () => Promise.resolve(NOW),
  organization: () => ({
    organizations: new OrganizationsClient({ region: 'us-east-1' }),
    sts: new STSClient({ region: 'us-east-1' }),
    memberClients: (credentials) => ({
      iam: new IAMClient({ region: 'us-east-1', credentials }),
      sfn: new SFNClient({ region: 'us-east-1', credentials }),
      cfn: new CloudFormationClient({ region: 'us-east-1', credentials }),
    }),
    stsWith: (credentials) => new STSClient({ region: 'us-east-1', credentials }),
  }),
  destroy: () => undefined,
};

async function report(
  flags: OrganizationReportFlags,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = createOutput(
    false,
    { write: (t: string) => (stdout += t) },
    { write: (t: string) => (stderr += t) },
  );
  const code = await organizationReportCommand(ctx, out, flags);
  return { code, stdout, stderr };
}

beforeEach(given);

describe('rekey report --organization', () => {
  it('reads every page of accounts, and reports each one read or the gap that kept it out', async () => {
    const { code, stdout } = await report({ format: 'json' });
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as OrganizationReport;
    expect(doc.organizationId).toBe('o-abc123defg');
    expect(doc.accounts.map((a) => [a.accountId, a.covered, a.gap?.code])).toEqual([
      [MANAGEMENT, false, 'ManagementAccountNotCovered'],
      [CENTRAL, true, undefined],
      [ALPHA, true, undefined],
      [DELETED_READER, false, 'ReaderRoleNotAssumable'],
      [ROOTED, true, undefined],
      [SUSPENDED, false, 'AccountSuspended'],
    ]);
    // One AssumeRole per active account; the suspended one is not tried.
    expect([...assumed].sort()).toEqual(
      [MANAGEMENT, CENTRAL, ALPHA, DELETED_READER, ROOTED].sort(),
    );
    // The accounts read are complete despite the two that failed.
    expect(doc.reports.map((r) => [r.accountId, r.users.map((u) => u.userName)])).toEqual([
      [CENTRAL, ['ops']],
      [ALPHA, ['alice', 'old-bob']],
      [ROOTED, ['carol']],
    ]);
    expect(doc.summary).toMatchObject({
      accounts: 6,
      covered: 3,
      gaps: [MANAGEMENT, DELETED_READER, SUSPENDED],
      users: 4,
      noncompliant: [`${ALPHA}/old-bob`],
      rootKeyAccounts: [ROOTED],
    });
    const alpha = doc.accounts.find((a) => a.accountId === ALPHA);
    expect(alpha).toMatchObject({ stackName: MEMBER_STACK, users: 2, noncompliant: 1 });
    expect(doc.accounts[0]?.gap?.fix).toMatch(/StackSets never deploy to the management account/);
  });

  it('prints a table with the account on each user, a summary per account, and how to fix each gap', async () => {
    const { stdout } = await report({});
    expect(stdout).toMatch(new RegExp(`${ALPHA}\\s+alice`));
    expect(stdout).toMatch(
      new RegExp(`${DELETED_READER}\\s+legacy.*account-not-covered: ReaderRoleNotAssumable`),
    );
    expect(stdout).toMatch(
      /fix: the account has no rekey member stack, or its reader role was deleted/,
    );
    expect(stdout).toMatch(/6 accounts, 3 read through RekeyOrganizationReader, 4 users/);
  });

  it('gives CSV with account columns, and a row for every account it could not read', async () => {
    const { stdout } = await report({ format: 'csv' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^account_id,account_name,user,path,/);
    expect(lines.filter((l) => l.startsWith(`${ALPHA},alpha,`))).toHaveLength(2);
    const gap = lines.find((l) => l.startsWith(`${DELETED_READER},legacy,`));
    expect(gap).toContain('account-not-covered');
  });

  it('fails the gate on a noncompliant user, a root key and an unread account, naming each', async () => {
    const { code, stderr } = await report({ format: 'json', failOnNoncompliant: true });
    expect(code).toBe(1);
    expect(stderr).toContain(`${ALPHA}/old-bob`);
    expect(stderr).toMatch(
      /1 account\(s\) have an active root access key \(Security Hub IAM.4\): 555555555555/,
    );
    expect(stderr).toMatch(/3 account\(s\) could not be read, so their compliance is unknown/);
  });

  it('assumes the central reporter role first when the caller is not it', async () => {
    sts.on(GetCallerIdentityCommand).resolves({
      Account: CENTRAL,
      Arn: `arn:aws:iam::${CENTRAL}:user/platform-admin`,
    });
    const roles: string[] = [];
    sts
      .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${CENTRAL}:role/RekeyOrganizationReporter` })
      .callsFake((input: { RoleArn: string }) => {
        roles.push(input.RoleArn);
        throw denied('not authorized to perform: sts:AssumeRole');
      });
    await expect(report({ format: 'json' })).rejects.toThrow(
      /cannot assume the central reporter role arn:aws:iam::222222222222:role\/RekeyOrganizationReporter/,
    );
    expect(roles).toHaveLength(1);
  });

  it('reports a throttled AssumeRole as itself, not as a missing reader role', async () => {
    sts
      .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${ROOTED}:role/RekeyOrganizationReader` })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const { stdout } = await report({ format: 'json' });
    const doc = JSON.parse(stdout) as OrganizationReport;
    const rooted = doc.accounts.find((a) => a.accountId === ROOTED);
    expect(rooted?.gap).toMatchObject({ code: 'ReadFailed' });
    expect(rooted?.gap?.problem).toMatch(/Throttling: Rate exceeded/);
    expect(doc.summary.covered).toBe(2);
  });

  it('says what to do when the credentials cannot list the Organization', async () => {
    orgs.on(ListAccountsCommand).rejects(
      Object.assign(new Error("You don't have permissions to access this resource."), {
        name: 'AccessDeniedException',
      }),
    );
    await expect(report({})).rejects.toThrow(
      /management account's or the delegated administrator's credentials/,
    );
  });
});

describe('rekey status --organization', () => {
  it('lists running rotations by account, and the accounts it could not read', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    let stdout = '';
    const out = createOutput(false, { write: (t: string) => (stdout += t) }, { write: () => true });
    expect(await organizationStatusCommand(ctx, out, { limit: 5 })).toBe(0);
    expect(stdout).toMatch(/3 of 6 accounts read; 0 rotation\(s\) running/);
    expect(stdout).toContain(`not covered: ${DELETED_READER} (legacy)`);
    // Each read account's rotation state machine was listed with its own session.
    const listed = sfn
      .commandCalls(ListExecutionsCommand)
      .map((c) => c.args[0].input.stateMachineArn);
    expect(new Set(listed)).toEqual(
      new Set(
        [CENTRAL, ALPHA, ROOTED].map(
          (id) => `arn:aws:states:us-east-1:${id}:stateMachine:rekey-rotation`,
        ),
      ),
    );
  });
});
