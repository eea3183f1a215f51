import {
  CloudFormationClient,
  DescribeStacksCommand,
  paginateListStackInstances,
} from '@aws-sdk/client-cloudformation';
import {
  paginateListAccounts,
  ListTagsForResourceCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';

/** What the coverage check found wrong with one account, and how to fix it. */
export interface Gap {
  readonly accountId: string;
  readonly reason:
    | 'no-stack'
    | 'reader-unassumable'
    | 'scan-missing'
    | 'scan-failing'
    | 'scan-stale'
    | 'management-account'
    | 'bad-override'
    | 'check-failed';
  readonly detail: string;
  readonly fix: string;
}

export interface MemberClients {
  readonly cloudformation: CloudFormationClient;
  readonly sfn: SFNClient;
}

export interface CoverageDeps {
  readonly organizations: OrganizationsClient;
  /** The central account's CloudFormation, for the StackSet's instances. */
  readonly cloudformation: CloudFormationClient;
  /** Clients in a member, as its RekeyOrganizationReader (AssumeRole); throws if refused. */
  readonly assumeReader: (accountId: string) => Promise<MemberClients>;
  readonly now: () => Date;
  readonly config: CoverageConfig;
}

export interface CoverageConfig {
  readonly stackSetName: string;
  readonly managementAccountId: string;
  /** The plain stack's name in the management account. */
  readonly managementStackName: string;
  /** A scan older than this is stale. */
  readonly maxScanAgeHours: number;
  readonly concurrency: number;
}

export interface CoverageResult {
  readonly accounts: number;
  readonly covered: number;
  readonly exempt: readonly string[];
  readonly gaps: readonly Gap[];
}

/** Account tags the check reads (`rekey:*`), once per run. */
const OVERRIDES = ['rekey:exempt', 'rekey:maxScanAgeHours'] as const;

async function accountsOf(org: OrganizationsClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListAccounts({ client: org }, {})) {
    for (const a of page.Accounts ?? []) if (a.Id && a.Status === 'ACTIVE') ids.push(a.Id);
  }
  return ids;
}

async function stackIdsOf(cfn: CloudFormationClient, name: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const pages = paginateListStackInstances(
    { client: cfn },
    { StackSetName: name, CallAs: 'DELEGATED_ADMIN' },
  );
  for await (const page of pages) {
    for (const s of page.Summaries ?? []) if (s.Account && s.StackId) ids.set(s.Account, s.StackId);
  }
  return ids;
}

async function tagsOf(org: OrganizationsClient, accountId: string): Promise<Map<string, string>> {
  const out = await org.send(new ListTagsForResourceCommand({ ResourceId: accountId }));
  return new Map(
    (out.Tags ?? [])
      .filter((t) => t.Key?.startsWith('rekey:'))
      .map((t) => [t.Key ?? '', t.Value ?? '']),
  );
}

async function checkAccount(
  deps: CoverageDeps,
  accountId: string,
  stackName: string | undefined,
  maxAgeHours: number,
): Promise<Gap | undefined> {
  const { config } = deps;
  const gap = (reason: Gap['reason'], detail: string, fix: string): Gap => ({
    accountId,
    reason,
    detail,
    fix,
  });
  const management = accountId === config.managementAccountId;
  if (!stackName) {
    return management
      ? gap(
          'management-account',
          'service-managed StackSets never deploy to the management account',
          'deploy the plain rekey stack there (npx cdk deploy Rekey with rekey:organization context)',
        )
      : gap(
          'no-stack',
          `no instance of StackSet ${config.stackSetName}`,
          'move the account into a target OU, or check the StackSet operation',
        );
  }
  let member: MemberClients;
  try {
    member = await deps.assumeReader(accountId);
  } catch (error) {
    if (management) {
      return gap(
        'management-account',
        'no plain rekey stack with a reader role (service-managed StackSets never deploy here)',
        'deploy the plain rekey stack there',
      );
    }
    return gap(
      'reader-unassumable',
      `AssumeRole RekeyOrganizationReader: ${(error as Error).name}`,
      'redeploy the stack instance, which recreates the role and its trust',
    );
  }
  const stacks = await member.cloudformation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .catch(() => undefined);
  const outputs = stacks?.Stacks?.[0]?.Outputs ?? [];
  const scanArn = outputs.find((o) => o.OutputKey === 'FleetScanStateMachineArn')?.OutputValue;
  if (!scanArn) {
    return management
      ? gap('management-account', 'no plain rekey stack', 'deploy the plain rekey stack there')
      : gap('no-stack', `stack ${stackName} not found or not a rekey stack`, 'redeploy it');
  }
  const list = await member.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: scanArn, maxResults: 1 }),
  );
  const last = list.executions?.[0];
  if (!last) return gap('scan-missing', 'the fleet scan never ran', 'check its schedule');
  if (last.status !== 'SUCCEEDED' && last.status !== 'RUNNING') {
    return gap('scan-failing', `the last scan is ${last.status}`, 'read its execution history');
  }
  const at = last.stopDate ?? last.startDate;
  const ageHours = at ? (deps.now().getTime() - at.getTime()) / 3_600_000 : Infinity;
  if (ageHours > maxAgeHours) {
    return gap(
      'scan-stale',
      `the last scan ended ${Math.round(ageHours)} h ago`,
      'check that its schedule is enabled',
    );
  }
  return undefined;
}

/**
 * The daily coverage check: every active account of the Organization, each checked on its own
 * (one account's failure is that account's gap, never the others'), with bounded concurrency.
 */
export async function checkCoverage(deps: CoverageDeps): Promise<CoverageResult> {
  const { config } = deps;
  const [accounts, stackIds] = await Promise.all([
    accountsOf(deps.organizations),
    stackIdsOf(deps.cloudformation, config.stackSetName),
  ]);
  const limit = pLimit(config.concurrency);
  const exempt: string[] = [];
  const results = await Promise.all(
    accounts.map((accountId) =>
      limit(async (): Promise<Gap | undefined> => {
        try {
          const tags = await tagsOf(deps.organizations, accountId);
          const unknown = [...tags.keys()].filter(
            (k) => !(OVERRIDES as readonly string[]).includes(k),
          );
          if (unknown.length > 0) {
            return {
              accountId,
              reason: 'bad-override',
              detail: `unknown account tag ${unknown.join(', ')}`,
              fix: `use only ${OVERRIDES.join(', ')}`,
            };
          }
          const exemptReason = tags.get('rekey:exempt');
          if (exemptReason) {
            exempt.push(accountId);
            return undefined;
          }
          const raw = tags.get('rekey:maxScanAgeHours');
          const maxAge = raw === undefined ? config.maxScanAgeHours : Number(raw);
          if (!Number.isFinite(maxAge) || maxAge <= 0) {
            return {
              accountId,
              reason: 'bad-override',
              detail: `rekey:maxScanAgeHours is "${raw}"`,
              fix: 'set it to a positive number of hours',
            };
          }
          const stackName =
            stackIds.get(accountId) ??
            (accountId === config.managementAccountId ? config.managementStackName : undefined);
          return await checkAccount(deps, accountId, stackName, maxAge);
        } catch (error) {
          return {
            accountId,
            reason: 'check-failed',
            detail: `${(error as Error).name}: ${(error as Error).message}`,
            fix: 'read the coverage check logs; the next run retries',
          };
        }
      }),
    ),
  );
  const gaps = results.filter((g): g is Gap => g !== undefined);
  return {
    accounts: accounts.length,
    covered: accounts.length - gaps.length - exempt.length,
    exempt,
    gaps,
  };
}
