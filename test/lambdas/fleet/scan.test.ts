import {
  GetCredentialReportCommand,
  ListUserTagsCommand,
  type ListUserTagsCommandInput,
} from '@aws-sdk/client-iam';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LIST_CAP } from '../../../lambdas/fleet-scan/summary';
import { awsErrors, failure, jsonError, queryError } from '../helpers';
import type { UserSpec } from './fixtures';
import {
  commandNames,
  givenReport,
  givenTags,
  iam,
  resetHarness,
  runScan,
  sfn,
  starts,
  type Harness,
} from './harness';

let h: Harness;
beforeEach(() => {
  h = resetHarness();
});
afterEach(() => jest.restoreAllMocks());

const tagReads = (): string[] =>
  iam.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input.UserName ?? '');

describe('scan: IAM calls', () => {
  it('reads one credential report, and tags only of users old enough to be due', async () => {
    givenReport([
      { name: 'young', keys: [{ age: 10 }] },
      { name: 'middle', keys: [{ age: 79 }] },
      { name: 'candidate', keys: [{ age: 80 }] },
      { name: 'old', keys: [{ age: 120 }] },
      { name: 'old-inactive', keys: [{ age: 300, active: false }] },
      { name: 'no-keys' },
    ]);

    const summary = await runScan(h, { dryRun: true });

    expect(commandNames(iam)).toEqual([
      'GetCredentialReportCommand',
      'ListUserTagsCommand',
      'ListUserTagsCommand',
    ]);
    expect(tagReads().sort()).toEqual(['candidate', 'old']);
    expect(summary).toMatchObject({ usersScanned: 6, usersManaged: 6, tagReads: 2 });
  });

  it('reads every page of a candidate’s tags', async () => {
    givenReport([{ name: 'paged', keys: [{ age: 95 }] }]);
    iam
      .on(ListUserTagsCommand, { UserName: 'paged', Marker: undefined })
      .resolves({ Tags: [{ Key: 'team', Value: 'payments' }], IsTruncated: true, Marker: 'p2' })
      .on(ListUserTagsCommand, { UserName: 'paged', Marker: 'p2' })
      .resolves({ Tags: [{ Key: 'rekey:rotate', Value: 'false' }], IsTruncated: false });

    const summary = await runScan(h, { dryRun: true });

    expect(
      iam.commandCalls(ListUserTagsCommand).map((c): ListUserTagsCommandInput => c.args[0].input),
    ).toEqual([
      { UserName: 'paged', Marker: undefined },
      { UserName: 'paged', Marker: 'p2' },
    ]);
    expect(summary.users.optedOut).toEqual(['paged']);
  });

  it('keeps the IAM calls to one report and the candidates’ tags for 10,000 users, and the summary far below 256 KB', async () => {
    const users: UserSpec[] = Array.from({ length: 10_000 }, (_, i) => ({
      name: `user-${String(i).padStart(5, '0')}-${'x'.repeat(100)}`,
      keys: [{ age: i < 100 ? 85 + (i % 10) : i % 80 }],
    }));
    givenReport(users);

    const summary = await runScan(h, { dryRun: true });

    expect(iam).toHaveReceivedCommandTimes(GetCredentialReportCommand, 1);
    expect(iam).toHaveReceivedCommandTimes(ListUserTagsCommand, 100);
    expect(iam.calls()).toHaveLength(101);
    // Ages 85 to 94: the four over 90 are past the maximum.
    expect(summary.counts).toMatchObject({ compliant: 9_900, due: 100, overdue: 40 });
    expect(summary.users.compliant).toHaveLength(LIST_CAP);
    expect(summary.users.overdue).toHaveLength(40);
    expect(summary.truncated.slice().sort()).toEqual(['compliant', 'due']);
    // The summary is the state's output and the event's detail: both limited to 256 KB.
    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(64 * 1024);
    expect(
      Buffer.byteLength(JSON.stringify(h.telemetry.event('Fleet Scan Completed'))),
    ).toBeLessThan(64 * 1024);
  });

  it('skips a user deleted since the report was generated', async () => {
    givenReport([
      { name: 'gone', keys: [{ age: 95 }] },
      { name: 'stays', keys: [{ age: 95 }] },
    ]);
    givenTags({}, ['gone']);

    const summary = await runScan(h);

    expect(starts().map((s) => JSON.parse(s.input ?? '{}') as unknown)).toEqual([
      { userName: 'stays', mode: 'scheduled', requestedBy: 'rekey fleet scan' },
    ]);
    expect(summary).toMatchObject({ usersScanned: 2, usersManaged: 1 });
    expect(JSON.stringify(summary.users)).not.toContain('gone');
  });

  it('decides and rotates only users under the managed path', async () => {
    givenReport([
      { name: 'a', path: '/apps/', keys: [{ age: 85 }] },
      { name: 'b', path: '/apps/eu/', keys: [{ age: 85 }] },
      { name: 'c', path: '/', keys: [{ age: 85 }] },
      { name: 'd', path: '/applications/', keys: [{ age: 85 }] },
    ]);

    const summary = await runScan(h, { dryRun: false }, { managedPath: '/apps/' });

    expect(tagReads().sort()).toEqual(['a', 'b']);
    expect(summary).toMatchObject({ usersScanned: 4, usersManaged: 2 });
    expect(summary.users.started?.slice().sort()).toEqual(['a', 'b']);
  });

  it('retries the scan by name when IAM throttles, and lets a permanent failure through', async () => {
    iam.on(GetCredentialReportCommand).rejects(awsErrors.iamThrottling());
    const throttled = await failure(runScan(h));
    expect(throttled.name).toBe('AwsTransientError');
    expect(throttled.message).toMatch(
      /^Reading the credential report \(iam:GetCredentialReport\) failed: Throttling \(throttling, .* start the fleet scan again later with \{\}; the next scheduled scan runs anyway\.$/,
    );

    const notPresent = queryError(
      'ReportNotPresent',
      410,
      'Credential report not present. Call GenerateCredentialReport first.',
      'CredentialReportNotPresentException',
    );
    iam.on(GetCredentialReportCommand).rejects(notPresent);
    const permanent = await failure(runScan(h));
    expect(permanent).toMatchObject({
      name: 'ReportNotPresent',
      message:
        'Reading the credential report (iam:GetCredentialReport) failed: ReportNotPresent: ' +
        'Credential report not present. Call GenerateCredentialReport first. Fix that, then ' +
        "start the fleet scan again with {}; the function's logs have the details.",
      cause: notPresent,
    });
    expect(h.telemetry.events).toEqual([]);
  });
});

describe('scan: a failure says what failed and how to get past it', () => {
  it('names the user whose tags a denial refused, keeps the code, and starts nothing', async () => {
    givenReport([{ name: 'ivan', keys: [{ age: 85 }] }]);
    const denied = queryError(
      'AccessDenied',
      403,
      'User: arn:aws:sts::123456789012:assumed-role/scan/fn is not authorized to perform: ' +
        'iam:ListUserTags on resource: arn:aws:iam::123456789012:user/ivan with an explicit deny ' +
        'in a service control policy',
    );
    iam.on(ListUserTagsCommand).rejects(denied);

    const error = await failure(runScan(h));

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toBe(
      `Reading the tags of ivan (iam:ListUserTags) failed: AccessDenied: ${denied.message}. ` +
        "Allow it for the fleet scan's role (or lift the service control policy or permission " +
        'boundary that denies it), then start the fleet scan again with {}.',
    );
    expect(starts()).toEqual([]);
  });

  it('says which Step Functions call of the starts failed when one is throttled for good', async () => {
    givenReport([{ name: 'ivan', keys: [{ age: 85 }] }]);
    sfn.on(StartExecutionCommand).rejects(jsonError('ThrottlingException', 400, 'Rate exceeded'));

    const error = await failure(runScan(h));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toMatch(/^Starting the due rotations \(Step Functions\) failed: /);
  });
});

describe('scan: dry run', () => {
  it('reports what it would rotate and changes nothing', async () => {
    givenReport([
      { name: 'due', keys: [{ age: 85 }] },
      { name: 'overdue', keys: [{ age: 95 }] },
      { name: 'fine', keys: [{ age: 5 }] },
    ]);

    const summary = await runScan(h, { dryRun: true });

    expect(sfn.calls()).toEqual([]);
    expect(commandNames(iam).filter((c) => !/^(Get|List)/.test(c))).toEqual([]);
    expect(summary).toMatchObject({ dryRun: true });
    expect(summary.counts).toMatchObject({ due: 2, overdue: 1, started: 0, deferred: 0 });
    expect(summary.users.due?.slice().sort()).toEqual(['due', 'overdue']);
  });

  it('needs no rotation state machine to report', async () => {
    givenReport([{ name: 'due', keys: [{ age: 85 }] }]);

    const summary = await runScan(h, { dryRun: true }, { rotationStateMachineArn: undefined });

    expect(summary.counts.due).toBe(1);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses an input it does not understand before reading anything', async () => {
    const error = await failure(runScan(h, { dryRun: 'yes' }));

    expect(error.name).toBe('InvalidInputError');
    expect(iam.calls()).toEqual([]);
  });
});
