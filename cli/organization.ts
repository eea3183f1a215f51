/**
 * The Organization's view: every account's report (or running rotations), read through the
 * `RekeyOrganizationReader` role each member stack deploys, with the central account's
 * credentials. One account that cannot be read is a gap of its own, reported beside the others;
 * it never hides or stops them.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAccounts,
  type Account,
} from '@aws-sdk/client-organizations';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import pLimit from 'p-limit';
import { awsErrorCode } from '../lambdas/shared/errors';
import {
  MEMBER_STACK_PREFIX,
  ORGANIZATION_READER_ROLE,
  ORGANIZATION_REPORTER_ROLE,
} from '../lambdas/shared/organization';
import { CliError, EXIT } from './errors';
import type { ComplianceReport } from './report';
import type { StackInfo } from './stack';

/** An account of the Organization as ListAccounts gives it. */
export interface OrganizationAccount {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  /** The Organization's management account, where service-managed StackSets never deploy. */
  readonly management: boolean;
}

/** Why an account could not be read, and what fixes it. */
export interface AccountGap {
  readonly code:
    | 'ReaderRoleNotAssumable'
    | 'NoRekeyStack'
    | 'ManagementAccountNotCovered'
    | 'AccountSuspended'
    | 'ReadFailed';
  readonly problem: string;
  readonly fix: string;
}

export type AccountOutcome<T> =
  | { readonly account: OrganizationAccount; readonly ok: true; readonly value: T }
  | { readonly account: OrganizationAccount; readonly ok: false; readonly gap: AccountGap };

export interface OrganizationScope {
  readonly organizationId: string;
  readonly managementAccountId: string;
  /** The account whose credentials read the Organization (the central account). */
  readonly callerAccountId: string;
  readonly readerRole: string;
}

/** The clients of one member account, with the reader role's session credentials. */
export interface MemberClients {
  readonly iam: IAMClient;
  readonly sfn: SFNClient;
  readonly cfn: CloudFormationClient;
}

export interface OrganizationAccess {
  readonly organizations: OrganizationsClient;
  readonly sts: STSClient;
  /** Clients for an account from session credentials (same region and endpoint as the CLI's). */
  memberClients(credentials: AwsCredentialIdentity): MemberClients;
  /** STS with other credentials (the central reporter role's session). */
  stsWith(credentials: AwsCredentialIdentity): STSClient;
}

export interface OrganizationOptions {
  /** The member role to assume. @default RekeyOrganizationReader */
  readonly readerRole?: string;
  /**
   * The central role the members trust. The CLI assumes it first unless it already runs as it.
   * @default RekeyOrganizationReporter
   */
  readonly reporterRole?: string;
  /** The plain stack's name (the management account's, or any account's own deployment). */
  readonly stackName: string;
  /** Accounts read at once. @default 8 */
  readonly concurrency?: number;
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

const message = (error: unknown): string =>
  error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);

/** Reads ListAccounts to its last page, in the order AWS gives, with the management account marked. */
export async function listOrganizationAccounts(organizations: OrganizationsClient): Promise<{
  organizationId: string;
  managementAccountId: string;
  accounts: OrganizationAccount[];
}> {
  let organizationId: string;
  let managementAccountId: string;
  try {
    const { Organization } = await organizations.send(new DescribeOrganizationCommand({}));
    organizationId = Organization?.Id ?? '';
    managementAccountId = Organization?.MasterAccountId ?? '';
  } catch (error) {
    throw organizationError(error, 'DescribeOrganization');
  }
  const accounts: Account[] = [];
  try {
    for await (const page of paginateListAccounts({ client: organizations }, {})) {
      accounts.push(...(page.Accounts ?? []));
    }
  } catch (error) {
    throw organizationError(error, 'ListAccounts');
  }
  return {
    organizationId,
    managementAccountId,
    accounts: accounts.map((a) => ({
      id: a.Id ?? '',
      name: a.Name ?? '',
      // State replaces the deprecated Status (which knew only ACTIVE and SUSPENDED).
      status: a.State ?? a.Status ?? 'ACTIVE',
      management: a.Id === managementAccountId,
    })),
  };
}

function organizationError(error: unknown, operation: string): CliError {
  const code = awsErrorCode(error) ?? 'Error';
  if (code === 'AWSOrganizationsNotInUseException') {
    return new CliError(
      `these credentials' account is not in an AWS Organization (${operation}): --organization reads ` +
        'an Organization; run rekey report without it for this account alone',
      EXIT.setup,
      code,
    );
  }
  if (DENIED.has(code)) {
    return new CliError(
      `${operation} was refused (${message(error)}): run --organization with the management account's ` +
        "or the delegated administrator's credentials, allowed organizations:ListAccounts and " +
        'organizations:DescribeOrganization',
      EXIT.setup,
      code,
    );
  }
  return new CliError(`${operation} failed: ${message(error)}`, EXIT.failed, code);
}

const sessionCredentials = (out: {
  Credentials?: {
    AccessKeyId?: string;
    SecretAccessKey?: string;
    SessionToken?: string;
    Expiration?: Date;
  };
}): AwsCredentialIdentity => {
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
};

/** One AssumeRole, its session's credentials (fixed: they do not refresh). */
async function assumeRole(
  sts: STSClient,
  roleArn: string,
  sessionName: string,
  seconds: number,
): Promise<AwsCredentialIdentity> {
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: sessionName,
      DurationSeconds: seconds,
    }),
  );
  return sessionCredentials(out);
}

/**
 * The STS client the members' trust accepts: the central reporter role's session. When the CLI
 * already runs as that role (a profile with role_arn, or the coverage check's own role), as it is.
 */
async function reporterSts(
  access: OrganizationAccess,
  reporterRole: string,
): Promise<{ sts: STSClient; accountId: string }> {
  let identity: { Account?: string; Arn?: string };
  try {
    identity = await access.sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    throw new CliError(
      `cannot tell who these credentials are (${message(error)}): --organization needs the central account's credentials (--profile, or the environment)`,
      EXIT.setup,
      awsErrorCode(error) ?? 'NoCredentials',
    );
  }
  const accountId = identity.Account ?? '';
  if (identity.Arn?.includes(`:assumed-role/${reporterRole}/`))
    return { sts: access.sts, accountId };
  const roleArn = `arn:aws:iam::${accountId}:role/${reporterRole}`;
  try {
    const credentials = await assumeRole(access.sts, roleArn, 'rekey-cli', 3600);
    return { sts: access.stsWith(credentials), accountId };
  } catch (error) {
    throw new CliError(
      `cannot assume the central reporter role ${roleArn} (${message(error)}): run --organization ` +
        `with credentials of the central account (where the RekeyOrganization stack is deployed) ` +
        `allowed sts:AssumeRole on it, or pass --reporter-role if you renamed it`,
      EXIT.setup,
      awsErrorCode(error) ?? 'ReporterRoleNotAssumable',
    );
  }
}

/** The account's rekey stack: the plain stack by name first, else the StackSet's instance. */
async function findMemberStack(
  cfn: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<StackInfo | undefined> {
  const describe = async (name: string, probe: boolean): Promise<StackInfo | undefined> => {
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
      const stack = out.Stacks?.[0];
      if (!stack) return undefined;
      const outputs = Object.fromEntries(
        (stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
      );
      if (!outputs.RotationStateMachineArn) return undefined;
      return {
        stackName: stack.StackName ?? name,
        region,
        rotationStateMachineArn: outputs.RotationStateMachineArn,
        fleetScanStateMachineArn: outputs.FleetScanStateMachineArn || undefined,
        notificationTopicArn: outputs.NotificationTopicArn || undefined,
        secretPrefix: outputs.SecretPrefix ?? 'rekey/',
        rotationPolicy: outputs.RotationPolicy || undefined,
      };
    } catch (error) {
      // Not there, or not this reader's own stack (it may describe only that one).
      const code = awsErrorCode(error) ?? '';
      if (code === 'ValidationError' || (probe && DENIED.has(code))) return undefined;
      throw error;
    }
  };
  const plain = await describe(stackName, true);
  if (plain) return plain;
  // A StackSet names its instances StackSet-<stack set name>-<id>.
  // Every status of a stack that exists and has outputs, rollouts in progress included.
  const live: StackStatus[] = [
    'CREATE_COMPLETE',
    'UPDATE_IN_PROGRESS',
    'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    'UPDATE_COMPLETE',
    'UPDATE_ROLLBACK_IN_PROGRESS',
    'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
    'UPDATE_ROLLBACK_COMPLETE',
    'IMPORT_COMPLETE',
    'IMPORT_ROLLBACK_COMPLETE',
  ];
  let token: string | undefined;
  do {
    const page = await cfn.send(
      new ListStacksCommand({ NextToken: token, StackStatusFilter: live }),
    );
    for (const s of page.StackSummaries ?? []) {
      if (s.StackName?.startsWith(MEMBER_STACK_PREFIX)) {
        const found = await describe(s.StackName, false);
        if (found) return found;
      }
    }
    token = page.NextToken;
  } while (token);
  return undefined;
}

function notAssumable(account: OrganizationAccount, roleArn: string, error: unknown): AccountGap {
  // Only a refusal says the role is missing or does not trust us; anything else (throttling,
  // an expired session, a network error) is reported as itself.
  if (!DENIED.has(awsErrorCode(error) ?? '')) {
    return {
      code: 'ReadFailed',
      problem: `AssumeRole ${roleArn} failed: ${awsErrorCode(error) ?? 'Error'}: ${message(error)}`,
      fix: 'run the report again; if it persists, check STS in this account and region',
    };
  }
  if (account.management) {
    return {
      code: 'ManagementAccountNotCovered',
      problem: `management account: ${roleArn} cannot be assumed (${awsErrorCode(error) ?? message(error)})`,
      fix:
        'service-managed StackSets never deploy to the management account: deploy the plain stack ' +
        'there, with an OrganizationReader construct trusting the central account beside it',
    };
  }
  return {
    code: 'ReaderRoleNotAssumable',
    problem: `${roleArn} cannot be assumed (${awsErrorCode(error) ?? message(error)})`,
    fix:
      'the account has no rekey member stack, or its reader role was deleted or changed: move the ' +
      "account into a target OU, or let the StackSet's automatic deployment repair it " +
      '(aws cloudformation update-stack-instances)',
  };
}

/**
 * Runs `read` in every account of the Organization through its reader role, at most
 * `concurrency` accounts at once. The result has one outcome per account, in ListAccounts order.
 */
export async function forEachAccount<T>(
  access: OrganizationAccess,
  options: OrganizationOptions,
  region: string,
  read: (clients: MemberClients, stack: StackInfo, account: OrganizationAccount) => Promise<T>,
): Promise<{ scope: OrganizationScope; outcomes: AccountOutcome<T>[] }> {
  const readerRole = options.readerRole ?? ORGANIZATION_READER_ROLE;
  const org = await listOrganizationAccounts(access.organizations);
  const reporter = await reporterSts(access, options.reporterRole ?? ORGANIZATION_REPORTER_ROLE);
  const limit = pLimit(options.concurrency ?? 8);
  const outcomes = await Promise.all(
    org.accounts.map((account) =>
      limit(async (): Promise<AccountOutcome<T>> => {
        const gap = (g: AccountGap): AccountOutcome<T> => ({ account, ok: false, gap: g });
        if (account.status !== 'ACTIVE') {
          return gap({
            code: 'AccountSuspended',
            problem: `account status ${account.status}`,
            fix: 'nothing to rotate while the account is suspended; it is read again once active',
          });
        }
        const roleArn = `arn:aws:iam::${account.id}:role/${readerRole}`;
        let credentials: AwsCredentialIdentity;
        try {
          credentials = await assumeRole(reporter.sts, roleArn, 'rekey-organization', 900);
        } catch (error) {
          return gap(notAssumable(account, roleArn, error));
        }
        const clients = access.memberClients(credentials);
        try {
          const stack = await findMemberStack(clients.cfn, options.stackName, region);
          if (!stack) {
            return gap({
              code: 'NoRekeyStack',
              problem: `no rekey stack in ${region} (neither ${options.stackName} nor a ${MEMBER_STACK_PREFIX}… instance)`,
              fix: "the reader role is there but the rotation stack is not: check the StackSet instance of this account, and run with --region set to the StackSet's home region",
            });
          }
          return { account, ok: true, value: await read(clients, stack, account) };
        } catch (error) {
          return gap({
            code: 'ReadFailed',
            problem: `${awsErrorCode(error) ?? 'Error'}: ${message(error)}`,
            fix: "check the reader role's permissions in this account, then run the report again",
          });
        } finally {
          for (const c of Object.values(clients) as { destroy(): void }[]) c.destroy();
        }
      }),
    ),
  );
  if (reporter.sts !== access.sts) reporter.sts.destroy();
  return {
    scope: {
      organizationId: org.organizationId,
      managementAccountId: org.managementAccountId,
      callerAccountId: reporter.accountId,
      readerRole,
    },
    outcomes,
  };
}

/** One account's line of the Organization report's summary. */
export interface AccountSummary {
  readonly accountId: string;
  readonly accountName: string;
  readonly covered: boolean;
  readonly stackName?: string;
  readonly users?: number;
  readonly managed?: number;
  readonly activeKeys?: number;
  readonly due?: number;
  readonly noncompliant?: number;
  readonly rootAccessKeys?: number;
  readonly gap?: AccountGap;
}

export interface OrganizationReport extends OrganizationScope {
  readonly asOf: string;
  readonly accounts: readonly AccountSummary[];
  readonly reports: readonly (ComplianceReport & {
    readonly accountId: string;
    readonly accountName: string;
  })[];
  readonly summary: {
    readonly accounts: number;
    readonly covered: number;
    readonly gaps: readonly string[];
    readonly users: number;
    readonly activeKeys: number;
    /** `account/user` of every noncompliant user. */
    readonly noncompliant: readonly string[];
    /** Accounts whose root user has an active access key (Security Hub IAM.4). */
    readonly rootKeyAccounts: readonly string[];
  };
}

export function combineReports(
  scope: OrganizationScope,
  asOf: Date,
  outcomes: readonly AccountOutcome<{ stackName: string; report: ComplianceReport }>[],
): OrganizationReport {
  const accounts: AccountSummary[] = outcomes.map((o) => {
    const base = { accountId: o.account.id, accountName: o.account.name };
    if (!o.ok) return { ...base, covered: false, gap: o.gap };
    const s = o.value.report.summary;
    return {
      ...base,
      covered: true,
      stackName: o.value.stackName,
      users: s.users,
      managed: s.managed,
      activeKeys: s.activeKeys,
      due: s.decisions.due ?? 0,
      noncompliant: s.noncompliant.length,
      rootAccessKeys: s.rootAccessKeys,
    };
  });
  const reports = outcomes.flatMap((o) =>
    o.ok ? [{ ...o.value.report, accountId: o.account.id, accountName: o.account.name }] : [],
  );
  return {
    ...scope,
    asOf: asOf.toISOString(),
    accounts,
    reports,
    summary: {
      accounts: accounts.length,
      covered: accounts.filter((a) => a.covered).length,
      gaps: accounts.filter((a) => !a.covered).map((a) => a.accountId),
      users: reports.reduce((n, r) => n + r.summary.users, 0),
      activeKeys: reports.reduce((n, r) => n + r.summary.activeKeys, 0),
      noncompliant: reports.flatMap((r) =>
        r.summary.noncompliant.map((u) => `${r.accountId}/${u}`),
      ),
      rootKeyAccounts: reports.filter((r) => r.rootKeyFinding).map((r) => r.accountId),
    },
  };
}
