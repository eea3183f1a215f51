/**
 * The fleet scan under the sandbox's faults: a lost StartExecution answer, throttled tag reads,
 * a user deleted after the credential report was taken, and an IAM outage.
 */
import { DeleteAccessKeyCommand, DeleteUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { Sandbox } from '../../../sandbox/sandbox';
import {
  rotationName,
  rotationStatuses,
  rotations,
  scanAndSettle,
  scanEvents,
  seedOne,
  shortenSdkBackoff,
  startScan,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  shortenSdkBackoff();
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

beforeEach(() => {
  sb.scheduler.setMode('auto');
  sb.emulator.reset();
});

it('retries a StartExecution whose answer was lost without starting a duplicate rotation', async () => {
  const names = ['golf', 'hotel'].map((userName) =>
    rotationName(userName, seedOne(sb, { userName })),
  );
  // after: 1 lets the test's own start of the scan through.
  sb.emulator.faults.add({
    service: 'states',
    operation: 'StartExecution',
    kind: 'crash-after-success',
    after: 1,
    times: 2,
  });

  const { summary } = await scanAndSettle(sb);

  const fired = sb.emulator.calls.filter((c) => c.operation === 'StartExecution' && c.fault);
  expect(fired).toHaveLength(2);
  expect(rotationStatuses(sb)).toEqual(names.map((n) => `${n}: SUCCEEDED`).sort());
  expect(summary.counts).toMatchObject({ due: 2, started: 2, inProgress: 0 });
});

it('retries throttled tag reads and decides every candidate', async () => {
  for (const userName of ['india', 'juliett', 'kilo']) seedOne(sb, { userName });
  sb.emulator.faults.add({ service: 'iam', operation: 'ListUserTags', kind: 'throttle', times: 4 });

  const { summary } = await scanAndSettle(sb, { dryRun: true });

  expect(sb.emulator.calls.filter((c) => c.fault === 'throttle')).toHaveLength(4);
  expect(summary).toMatchObject({ tagReads: 3, counts: { due: 3 } });
});

it('skips a user deleted after the credential report was taken', async () => {
  sb.scheduler.setMode('manual');
  seedOne(sb, { userName: 'lima' });
  const gone = seedOne(sb, { userName: 'mike' });
  const arn = await startScan(sb);
  await sb.scheduler.advance(0); // the report is generated now, with mike in it
  const iam = new IAMClient(sb.clientConfig());
  await iam.send(new DeleteAccessKeyCommand({ UserName: 'mike', AccessKeyId: gone.accessKeyId }));
  await iam.send(new DeleteUserCommand({ UserName: 'mike' }));
  iam.destroy();

  sb.scheduler.setMode('auto');
  await sb.settle();

  const scan = sb.execution(arn);
  expect(scan.status).toBe('SUCCEEDED');
  expect(JSON.parse(scan.output ?? '{}')).toMatchObject({
    usersScanned: 2,
    usersManaged: 1,
    users: { due: ['lima'], started: ['lima'] },
  });
  expect(
    sb.emulator.calls.filter((c) => c.operation === 'ListUserTags').map((c) => c.errorCode),
  ).toContain('NoSuchEntity');
  expect(rotations(sb).map((e) => e.name)).toEqual([expect.stringMatching(/^scan-lima-/)]);
});

it('fails as a whole during an IAM outage, starting nothing and publishing no summary', async () => {
  seedOne(sb, { userName: 'november' });
  sb.emulator.faults.add({
    service: 'iam',
    operation: 'GetCredentialReport',
    kind: 'server-error',
  });

  const arn = await startScan(sb);
  await sb.settle();

  const scan = sb.execution(arn);
  expect([scan.status, scan.error]).toEqual(['FAILED', 'AwsTransientError']);
  expect(rotations(sb)).toEqual([]);
  expect(scanEvents(sb)).toEqual([]);
});
