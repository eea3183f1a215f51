import { GenerateCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { generateReport } from '../../../lambdas/fleet-report/core';
import { parseScanInput } from '../../../lambdas/shared/fleet-input';
import { awsErrors, captureOutput, failure, queryError } from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);

beforeEach(() => {
  iam.reset();
  captureOutput();
});
afterEach(() => jest.restoreAllMocks());

const HOW = 'Start the fleet scan with {} (or {"dryRun": true} to only report).';
const notAnObject = (got: string): string =>
  `The fleet scan input must be a JSON object; got ${got}. ${HOW}`;

describe('parseScanInput', () => {
  it.each([
    [{}, { dryRun: false, attempts: 0 }],
    [{ dryRun: false }, { dryRun: false, attempts: 0 }],
    [{ dryRun: true }, { dryRun: true, attempts: 0 }],
    // The loop's own field, carried from one GenerateReport round to the next.
    [
      { dryRun: true, report: { state: 'STARTED', attempts: 3 } },
      { dryRun: true, attempts: 3 },
    ],
  ])('reads %j', (input, expected) => {
    expect(parseScanInput(input)).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ['a string', 'dryRun', notAnObject('a string')],
    ['a number', 42, notAnObject('a number')],
    ['null', null, notAnObject('null')],
    ['an array', [{ dryRun: true }], notAnObject('an array')],
    [
      'a misspelt field',
      { dryrun: true },
      `Unknown fleet scan input field(s) "dryrun": the only field is dryRun. ${HOW}`,
    ],
    [
      'a rotation input',
      { userName: 'alice', force: 1 },
      `Unknown fleet scan input field(s) "userName", "force": the only field is dryRun. ${HOW}`,
    ],
    [
      'a string dryRun',
      { dryRun: 'true' },
      `"dryRun" must be true or false (a JSON boolean); got "true". ${HOW}`,
    ],
    [
      'a numeric dryRun',
      { dryRun: 1 },
      `"dryRun" must be true or false (a JSON boolean); got 1. ${HOW}`,
    ],
  ])('refuses %s with InvalidInputError', (_, input, message) => {
    let thrown: unknown;
    try {
      parseScanInput(input);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ name: 'InvalidInputError', message });
  });
});

describe('generateReport', () => {
  it('asks IAM for the report once and counts the attempt', async () => {
    iam.on(GenerateCredentialReportCommand).resolves({ State: 'STARTED' });

    const result = await generateReport({ dryRun: true }, iamClient);

    expect(result).toEqual({ dryRun: true, report: { state: 'STARTED', attempts: 1 } });
    expect(iam).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 1);
    expect(iam.calls()).toHaveLength(1);
  });

  it('carries the attempts of earlier rounds and reports COMPLETE', async () => {
    iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });

    const result = await generateReport(
      { dryRun: false, report: { state: 'INPROGRESS', attempts: 4 } },
      iamClient,
    );

    expect(result).toEqual({ dryRun: false, report: { state: 'COMPLETE', attempts: 5 } });
  });

  it('treats an answer without a state as started, so the loop waits', async () => {
    iam.on(GenerateCredentialReportCommand).resolves({});

    expect((await generateReport({}, iamClient)).report.state).toBe('STARTED');
  });

  it('refuses a bad input before calling IAM', async () => {
    const error = await failure(generateReport({ dryRun: 'yes' }, iamClient));

    expect(error.name).toBe('InvalidInputError');
    expect(iam.calls()).toHaveLength(0);
  });

  it.each([
    ['Throttling', awsErrors.iamThrottling()],
    ['ServiceFailure', awsErrors.iamServiceFailure()],
  ])('turns %s into AwsTransientError for the state machine to retry', async (code, cause) => {
    iam.on(GenerateCredentialReportCommand).rejects(cause);

    const error = await failure(generateReport({}, iamClient));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe(
      `Generating the credential report (iam:GenerateCredentialReport) failed: ${code} ` +
        '(throttling, a 5xx or a network error, which usually pass; the state machine retries ' +
        'it). If it lasts, start the fleet scan again later with {}; the next scheduled scan runs anyway.',
    );
    expect(error.cause).toBe(cause);
  });

  it("says what a denial refused and how to allow it, keeping AWS's error code", async () => {
    const denied = queryError(
      'AccessDenied',
      403,
      'User is not authorized to perform: iam:GenerateCredentialReport',
    );
    iam.on(GenerateCredentialReportCommand).rejects(denied);

    const error = await failure(generateReport({}, iamClient));

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toBe(
      'Generating the credential report (iam:GenerateCredentialReport) failed: AccessDenied: ' +
        "User is not authorized to perform: iam:GenerateCredentialReport. Allow it for the fleet scan's " +
        'role (or lift the service control policy or permission boundary that denies it), then ' +
        'start the fleet scan again with {}.',
    );
    expect(error.cause).toBe(denied);
  });
});
