/**
 * What an operator starting an execution by hand gets back: a missing user, malformed input
 * and a dry run all end before any change, with a cause that says what to do. The fleet scan's
 * failures too: a bad input, a denied permission, a service that keeps failing.
 */
import { Sandbox } from '../../sandbox/sandbox';
import {
  accountSnapshot,
  eventsOf,
  keyById,
  output,
  rotate,
  secretOf,
  seedUser,
  statesEntered,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

/** The start of every refusal: Inspect refuses, the Fail state carries its message. */
const REFUSED = ['Inspect', 'RefusedCause', 'RefusedParseCause', 'Refused'];

it('refuses a user that does not exist with UserNotFoundError and changes nothing', async () => {
  seedUser(sb, 'input-bystander');
  const before = accountSnapshot(sb);

  const execution = await rotate(sb, { userName: 'input-ghost' });

  expect(execution.status).toBe('FAILED');
  expect(execution.error).toBe('UserNotFoundError');
  expect(execution.cause).toBe('IAM user "input-ghost" does not exist.');
  expect(statesEntered(execution)).toEqual(REFUSED);
  expect(accountSnapshot(sb)).toBe(before);
  expect(eventsOf(sb, 'input-ghost')).toEqual(['Rotation Refused']);
});

it('refuses up front, saying why, a user whose name cannot be part of a secret name (a comma)', async () => {
  seedUser(sb, 'svc,ops');
  const before = accountSnapshot(sb);

  const execution = await rotate(sb, { userName: 'svc,ops' });

  expect(execution.status).toBe('FAILED');
  expect(accountSnapshot(sb)).toBe(before);
  expect(statesEntered(execution)).toEqual(REFUSED);
  expect(execution.cause).toContain(`${sb.secretPrefix}svc,ops`);
});

describe('malformed input', () => {
  const HOW = '{"userName": "alice"}';
  const HOW_TEXT = 'Start the execution with {"userName": "alice"} (optionally "dryRun": true).';
  it.each<[string, unknown, RegExp[]]>([
    ['a missing userName', {}, [/"userName" is required/, new RegExp(HOW)]],
    ['an empty userName', { userName: '' }, [/"userName" is required/, new RegExp(HOW)]],
    [
      'a userName that is a number',
      { userName: 42 },
      [/"userName" must be an IAM user name/, /letters, digits and \+=,\.@_-/, /got 42/],
    ],
    [
      'a userName IAM would reject',
      { userName: 'alice smith' },
      [/"userName" must be an IAM user name/, /got "alice smith"/],
    ],
    [
      'dryRun "yes"',
      { userName: 'input-bystander', dryRun: 'yes' },
      [/"dryRun" must be true or false/, /JSON boolean, not a string/, /got "yes"/],
    ],
    [
      'an unknown field',
      { userName: 'input-bystander', force: true },
      [
        /Unknown input field "force"/,
        /the fields are userName, dryRun, mode, requestedBy and emergency/,
        new RegExp(HOW),
      ],
    ],
    ['a string', 'input-bystander', [/must be a JSON object/, new RegExp(HOW)]],
    ['an array', ['input-bystander'], [/must be a JSON object/, new RegExp(HOW)]],
    ['a number', 42, [/must be a JSON object/, new RegExp(HOW)]],
  ])(
    'refuses %s with InvalidInputError that says what to fix, and changes nothing',
    async (_, input, says) => {
      const before = accountSnapshot(sb);

      const execution = await rotate(sb, input);

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('InvalidInputError');
      for (const pattern of says) expect(execution.cause).toMatch(pattern);
      expect(statesEntered(execution)).toEqual(REFUSED);
      expect(accountSnapshot(sb)).toBe(before);
    },
  );

  it('refuses a null input with InvalidInputError, changing nothing', async () => {
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, null);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidInputError');
    expect(execution.cause).toBe(`The input must be a JSON object; got null. ${HOW_TEXT}`);
    expect(statesEntered(execution)).toEqual(REFUSED);
    expect(accountSnapshot(sb)).toBe(before);
  });

  it('refuses a 200,000-character userName in one short sentence, echoing only its start', async () => {
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, { userName: 'x'.repeat(200_000) });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidInputError');
    expect(execution.cause).toMatch(
      /^"userName" must be an IAM user name .* \(200002 characters\)\.$/,
    );
    expect(execution.cause?.length).toBeLessThan(300);
    expect(statesEntered(execution)).toEqual(REFUSED);
    expect(accountSnapshot(sb)).toBe(before);
  });

  it('gives no execution a cause with Lambda JSON, a stack trace or a file path', () => {
    for (const execution of sb.emulator.state.executions) {
      const cause = execution.cause ?? '';
      expect(cause).not.toMatch(/"errorType"|"trace"|\bat \S+ \(|\.ts:\d+|\/lambdas\//);
    }
  });
});

describe('dry run', () => {
  it('plans the rotation, outputs the plan and changes nothing', async () => {
    const user = seedUser(sb, 'input-dry-run');
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, { userName: user.userName, dryRun: true });

    expect(execution.status).toBe('SUCCEEDED');
    expect(statesEntered(execution)).toEqual(['Inspect', 'Decide', 'DryRunComplete']);
    expect(output(execution)).toMatchObject({
      userName: user.userName,
      dryRun: true,
      decision: 'rotate',
      reason: `key ${user.oldKey.accessKeyId} is 85 days old`,
      oldKey: { accessKeyId: user.oldKey.accessKeyId },
      secretId: `${sb.secretPrefix}${user.userName}`,
      policy: { rotateAfterDays: 80, deadlineAction: 'fail' },
    });
    expect(output(execution).newKey).toBeUndefined();
    expect(accountSnapshot(sb)).toBe(before);
    expect(secretOf(sb, user.userName)).toBeUndefined();
    expect(keyById(sb, user.oldKey.accessKeyId)).toMatchObject({ status: 'Active' });
    expect(eventsOf(sb, user.userName)).toEqual(['Rotation Planned']);
  });

  it('still refuses what a real run would refuse (two active keys), changing nothing', async () => {
    const user = seedUser(sb, 'input-dry-run-two');
    sb.emulator.seed.accessKey({ userName: user.userName });
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, { userName: user.userName, dryRun: true });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('TwoActiveKeysError');
    expect(accountSnapshot(sb)).toBe(before);
  });
});

describe('the fleet scan: a failure says what was wrong and how to fix it, in one readable sentence', () => {
  /** A cause without Lambda's JSON, a stack trace or a file path. */
  const READABLE = /"errorType"|"trace"|\bat \S+ \(|\.ts:\d+|\/lambdas\/|\/var\/task/;
  const HOW = /Start the fleet scan with \{\} \(or \{"dryRun": true\} to only report\)\.$/;

  async function scan(input: unknown) {
    const arn = await sb.startFleetScan(input);
    await sb.settle();
    return sb.execution(arn);
  }

  it.each<[string, unknown, RegExp]>([
    [
      'dryRun "yes"',
      { dryRun: 'yes' },
      /^"dryRun" must be true or false \(a JSON boolean\); got "yes"\./,
    ],
    [
      'an unknown field',
      { bogus: 1 },
      /^Unknown fleet scan input field\(s\) "bogus": the only field is dryRun\./,
    ],
    ['null', null, /^The fleet scan input must be a JSON object; got null\./],
    ['an array', [1], /^The fleet scan input must be a JSON object; got an array\./],
    ['a string', 'x', /^The fleet scan input must be a JSON object; got a string\./],
  ])(
    'refuses %s with InvalidInputError, saying how to start it, and starts nothing',
    async (_, input, what) => {
      const before = accountSnapshot(sb);

      const execution = await scan(input);

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('InvalidInputError');
      expect(execution.cause).toMatch(what);
      expect(execution.cause).toMatch(HOW);
      expect(execution.cause).not.toMatch(READABLE);
      expect(accountSnapshot(sb)).toBe(before);
    },
  );

  it('names the refused permission and the user when a service control policy denies ListUserTags', async () => {
    seedUser(sb, 'input-scp-due');
    const fault = sb.emulator.faults.add({
      service: 'iam',
      operation: 'ListUserTags',
      kind: 'permission-removed',
    });
    try {
      const execution = await scan({});

      expect(execution).toMatchObject({ status: 'FAILED', error: 'AccessDenied' });
      expect(execution.cause).toMatch(
        /^Reading the tags of [\w-]+ \(iam:ListUserTags\) failed: AccessDenied: User: arn:aws:sts::\d+:assumed-role\/\S+ is not authorized to perform: iam:ListUserTags on resource: arn:aws:iam::\d+:user\/[\w-]+ with an explicit deny in a service control policy\. /,
      );
      expect(execution.cause).toMatch(
        /Allow it for the fleet scan's role \(or lift the service control policy or permission boundary that denies it\), then start the fleet scan again with \{\}\.$/,
      );
      expect(execution.cause).not.toMatch(READABLE);
    } finally {
      sb.emulator.faults.remove(fault);
    }
  });

  it('says a credential report that keeps failing with a 5xx is worth trying again later', async () => {
    const fault = sb.emulator.faults.add({
      service: 'iam',
      operation: 'GetCredentialReport',
      kind: 'server-error',
    });
    try {
      const execution = await scan({});

      expect(execution).toMatchObject({ status: 'FAILED', error: 'AwsTransientError' });
      expect(execution.cause).toBe(
        'Reading the credential report (iam:GetCredentialReport) failed: ServiceFailure ' +
          '(throttling, a 5xx or a network error, which usually pass; the state machine retries ' +
          'it). If it lasts, start the fleet scan again later with {}; the next scheduled scan runs anyway.',
      );
    } finally {
      sb.emulator.faults.remove(fault);
    }
  });

  it('gives no fleet scan a cause with Lambda JSON, a stack trace or a file path', () => {
    const scans = sb.emulator.state.executions.filter((e) =>
      e.stateMachineArn.includes('fleet-scan'),
    );
    expect(scans.length).toBeGreaterThanOrEqual(7);
    for (const execution of scans) expect(execution.cause ?? '').not.toMatch(READABLE);
  });
});
