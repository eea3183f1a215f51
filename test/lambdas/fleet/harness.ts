/**
 * The fleet scan core with mocked IAM and Step Functions clients: a credential report, tags per
 * user, running executions and StartExecution answering like Step Functions.
 */
import {
  GetCredentialReportCommand,
  IAMClient,
  ListUserTagsCommand,
  type ListUserTagsCommandInput,
} from '@aws-sdk/client-iam';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type DescribeExecutionCommandInput,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { scan } from '../../../lambdas/fleet-scan/core';
import type { ScanSummary } from '../../../lambdas/fleet-scan/summary';
import type { Config } from '../../../lambdas/shared/config';
import {
  ACCOUNT,
  awsErrors,
  captureOutput,
  FakeClock,
  FakeTelemetry,
  NOW,
  STATE_MACHINE,
  testConfig,
} from '../helpers';
import { daysAgo, reportContent, type SlotSpec, type UserSpec } from './fixtures';

export const SCAN_EXECUTION_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:execution:rekey-fleet-scan:daily-1`;

export const iamClient = new IAMClient({ region: 'us-east-1' });
export const sfnClient = new SFNClient({ region: 'us-east-1' });
export const iam = mockClient(iamClient);
export const sfn = mockClient(sfnClient);

/** The ARN of a rotation execution with this name. */
export const rotationArn = (name: string): string =>
  `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;

/** The name a scheduled rotation of `userName`'s key created `age` days ago must carry. */
export const expectedName = (userName: string, age: number): string =>
  `scan-${userName}-${new Date(daysAgo(age))
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14)}`;

export interface Harness {
  telemetry: FakeTelemetry;
  output: ReturnType<typeof captureOutput>;
}

/**
 * Resets the mocks; by default no one has tags, nothing runs, no execution ran before, and every
 * start is new.
 */
export function resetHarness(): Harness {
  iam.reset();
  sfn.reset();
  const harness = { telemetry: new FakeTelemetry(), output: captureOutput() };
  iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => ({
    executionArn: rotationArn(input.name ?? ''),
    startDate: NOW,
  }));
  // No history to read (an execution's last state is then unknown: not a refusal).
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  // No earlier execution under any name, as Step Functions answers for a name never used.
  sfn
    .on(DescribeExecutionCommand)
    .callsFake((input: DescribeExecutionCommandInput) =>
      Promise.reject(awsErrors.executionDoesNotExist(input.executionArn ?? '')),
    );
  return harness;
}

/** The credential report: these users, and the root user's key slots (none by default). */
export function givenReport(users: readonly UserSpec[], rootKeys: readonly SlotSpec[] = []): void {
  iam.on(GetCredentialReportCommand).resolves({
    Content: reportContent(users, rootKeys),
    ReportFormat: 'text/csv',
    GeneratedTime: new Date(NOW.getTime() - 3_600_000),
  });
}

/** Tags per user; a user named in `deleted` answers NoSuchEntity. */
export function givenTags(
  tags: Record<string, Record<string, string>>,
  deleted: readonly string[] = [],
): void {
  iam.on(ListUserTagsCommand).callsFake((input: ListUserTagsCommandInput) => {
    const userName = input.UserName ?? '';
    if (deleted.includes(userName)) throw awsErrors.noSuchUser(userName);
    return {
      Tags: Object.entries(tags[userName] ?? {}).map(([Key, Value]) => ({ Key, Value })),
      IsTruncated: false,
    };
  });
}

/** Running executions of the rotation state machine, by name, on one page. */
export function givenRunning(names: readonly string[]): void {
  sfn.on(ListExecutionsCommand).resolves({
    executions: names.map((name) => ({
      name,
      executionArn: rotationArn(name),
      stateMachineArn: STATE_MACHINE,
      status: 'RUNNING',
      startDate: new Date(NOW.getTime() - 86_400_000),
    })),
  });
}

/** The deployment's settings as the scan tests use them: tags may not go below 80 days. */
export function scanConfig(overrides: Partial<Config> = {}): Config {
  return testConfig({ selection: { mode: 'opt-out', minRotateAfterDays: 80 }, ...overrides });
}

export function runScan(
  harness: Harness,
  input: unknown = { dryRun: false },
  config: Partial<Config> = {},
): Promise<ScanSummary> {
  return scan(
    { input, executionArn: SCAN_EXECUTION_ARN },
    {
      iam: iamClient,
      sfn: sfnClient,
      telemetry: harness.telemetry,
      metrics: new Metrics({ namespace: 'rekey', serviceName: 'rekey' }),
      clock: new FakeClock(NOW),
      config: scanConfig(config),
    },
  );
}

/** The names of the commands a stub received, in order. */
export const commandNames = (stub: typeof iam | typeof sfn): string[] =>
  stub.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

/** The StartExecution inputs, in the order the scan sent them. */
export const starts = (): StartExecutionCommandInput[] =>
  sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
