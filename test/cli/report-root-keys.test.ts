/**
 * `rekey report` and an access key of the root user: the command over mocked IAM and
 * CloudFormation clients (no stack deployed, so the policy is cdk.json's), in every format and
 * with the compliance gate.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { reportCommand, type ReportFlags } from '../../cli/commands/report';
import type { Context } from '../../cli/context';
import { createOutput } from '../../cli/output';
import type { ComplianceReport } from '../../cli/report';
import { ROOT_KEY_ADVICE } from '../../lambdas/shared/root-keys';
import { daysAgo, reportContent, type SlotSpec, type UserSpec } from '../lambdas/fleet/fixtures';
import { ACCOUNT, NOW } from '../lambdas/helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const cfnClient = new CloudFormationClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const cfn = mockClient(cfnClient);

const ctx: Context = {
  clients: {
    iam: iamClient,
    cfn: cfnClient,
    sfn: {} as SFNClient,
    secrets: {} as SecretsManagerClient,
    sts: {} as STSClient,
  },
  stackName: 'Rekey',
  region: () => Promise.resolve('us-east-1'),
  now: () => Promise.resolve(NOW),
  organization: () => {
    throw new Error('this test reads one account');
  },
  destroy: () => undefined,
};

/** Users whose keys are all compliant: only the root user's key can fail the gate. */
const COMPLIANT: UserSpec[] = [
  { name: 'alice', keys: [{ age: 10 }] },
  { name: 'bob', keys: [{ age: 85 }] },
];
const ROOT_KEY: SlotSpec = { age: 400, lastUsed: daysAgo(2), service: 's3', region: 'us-east-1' };

function given(users: readonly UserSpec[], rootKeys: readonly SlotSpec[]): void {
  iam.reset();
  cfn.reset();
  iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iam.on(GetCredentialReportCommand).resolves({
    Content: reportContent(users, rootKeys),
    GeneratedTime: new Date(NOW.getTime() - 3_600_000),
  });
  iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
}

async function run(flags: ReportFlags): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = createOutput(
    false,
    { write: (t: string) => (stdout += t) },
    { write: (t: string) => (stderr += t) },
  );
  const code = await reportCommand(ctx, out, flags);
  return { code, stdout, stderr };
}

const day = (age: number): string => daysAgo(age).slice(0, 10);

describe('rekey report: an active root access key', () => {
  it('is a finding of its own in the JSON, never one of the users', async () => {
    given(COMPLIANT, [ROOT_KEY]);

    const { code, stdout } = await run({ format: 'json' });

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ComplianceReport;
    expect(report.rootKeyFinding).toEqual({
      account: ACCOUNT,
      keys: [
        {
          slot: 1,
          active: true,
          lastRotated: new Date(daysAgo(400)).toISOString(),
          lastUsed: new Date(daysAgo(2)).toISOString(),
          lastUsedService: 's3',
          lastUsedRegion: 'us-east-1',
        },
      ],
      control: 'IAM.4',
      advice: ROOT_KEY_ADVICE,
    });
    expect(report.users.map((u) => u.userName)).toEqual(['alice', 'bob']);
    expect(report.summary).toMatchObject({ users: 2, rootAccessKeys: 1, noncompliant: [] });
    // Root keys are no user's: the tags read are the candidate's alone.
    expect(iam.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input.UserName)).toEqual([
      'bob',
    ]);
  });

  it('leads the table, and the summary says it is noncompliant and what to do', async () => {
    given(COMPLIANT, [{ age: 900, active: false }, ROOT_KEY]);

    const { stdout } = await run({ format: 'table' });

    const lines = stdout.split('\n');
    expect(lines[1]).toMatch(
      /^<root_account>\s+1\s+Inactive\s+900d\s+never\s+root-access-key \(IAM\.4: delete it as root\)$/,
    );
    expect(lines[2]).toMatch(new RegExp(`^\\s+2\\s+Active\\s+400d\\s+${day(2)} s3\\s*$`));
    expect(lines[3]).toMatch(/^alice\s/);
    expect(stdout).toContain(
      `noncompliant: The root user of account ${ACCOUNT} has 1 active access key(s) (Security Hub IAM.4, critical): ` +
        `key 2 created ${day(400)}, last used ${day(2)} (s3 in us-east-1). ${ROOT_KEY_ADVICE}`,
    );
    // The users' own verdict is unchanged.
    expect(stdout).toContain('compliant: no managed user has an active key older than 90 days');
  });

  it('writes one CSV row per root key, noncompliant, with the control and the advice', async () => {
    given(COMPLIANT, [ROOT_KEY]);

    const { stdout } = await run({ format: 'csv' });

    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'user,path,managed,key_slot,key_status,key_age_days,key_created,key_last_used,key_last_used_service,exempt_until,exempt_reason,due_date,decision,noncompliant,reason',
    );
    expect(lines[1]).toBe(
      `<root_account>,,false,1,Active,400,${new Date(daysAgo(400)).toISOString()},` +
        `${new Date(daysAgo(2)).toISOString()},s3,,,,root-access-key,true,"IAM.4: ${ROOT_KEY_ADVICE.replace(/"/g, '""')}"`,
    );
    expect(lines.slice(2).map((l) => l.split(',')[0])).toEqual(['alice', 'bob']);
  });

  it('fails the compliance gate (exit 1) on its own, naming the finding first', async () => {
    given(COMPLIANT, [ROOT_KEY]);

    const { code, stderr } = await run({ failOnNoncompliant: true });

    expect(code).toBe(1);
    expect(stderr).toBe(
      `rekey: The root user of account ${ACCOUNT} has 1 active access key(s) (Security Hub IAM.4, critical): ` +
        `key 1 created ${day(400)}, last used ${day(2)} (s3 in us-east-1). ${ROOT_KEY_ADVICE}\n`,
    );
  });

  it('fails the gate with both reasons when a user is past the maximum age too', async () => {
    given([...COMPLIANT, { name: 'carol', keys: [{ age: 95 }] }], [ROOT_KEY, { age: 3 }]);

    const { code, stderr } = await run({ failOnNoncompliant: true, format: 'json' });

    expect(code).toBe(1);
    expect(stderr.split('\n')).toEqual([
      expect.stringContaining(
        'has 2 active access key(s) (Security Hub IAM.4, critical)',
      ) as unknown,
      'rekey: 1 managed user(s) have an active key older than 90 days and no exemption: carol',
      '',
    ]);
  });

  it('does not fail without --fail-on-noncompliant', async () => {
    given(COMPLIANT, [ROOT_KEY]);

    expect((await run({})).code).toBe(0);
  });
});

describe('rekey report: no active root access key', () => {
  it.each([
    ['no root key', []],
    ['only an inactive root key', [{ age: 900, active: false }]],
  ])('has no finding and passes the gate with %s', async (_, rootKeys: SlotSpec[]) => {
    given(COMPLIANT, rootKeys);

    const gate = await run({ failOnNoncompliant: true, format: 'json' });
    const csv = await run({ format: 'csv' });

    expect(gate.code).toBe(0);
    expect(gate.stderr).toBe('');
    const report = JSON.parse(gate.stdout) as ComplianceReport;
    expect(report.rootKeyFinding).toBeUndefined();
    expect(report.summary.rootAccessKeys).toBe(0);
    expect(csv.stdout).not.toContain('<root_account>');
  });
});
