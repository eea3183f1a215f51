/**
 * An active access key of the root user, end to end: the synthesized fleet scan on the sandbox
 * reports it (summary, event, metric, notification first) and rotates only the IAM user that is
 * due; `rekey report`, spawned as an operator runs it, shows it and fails its gate on it. Nothing
 * is started, rotated or deleted for the root user.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { fetchCredentialReport } from '../../../cli/report';
import { readCredentialReport } from '../../../lambdas/shared/credential-report';
import { ROOT_KEY_ADVICE } from '../../../lambdas/shared/root-keys';
import type { RootAccessKeyView } from '../../../sandbox/emulator/views';
import { Sandbox } from '../../../sandbox/sandbox';
import { rekey, sandboxEnv } from '../../cli/helpers';
import {
  DAY,
  iamCallCounts,
  liveKeys,
  rotationName,
  rotations,
  rotationStatuses,
  scanAndSettle,
  scanEvents,
  scanMetrics,
  scanNotifications,
  seedOne,
  type ScanRun,
  type SeededKey,
} from './helpers';

let sb: Sandbox;
let run: ScanRun;
let dueKey: SeededKey;
let rootBefore: readonly RootAccessKeyView[];
let rootCreated: Date;

beforeAll(async () => {
  sb = await Sandbox.start();
  const now = sb.clock.now().getTime();
  rootCreated = new Date(now - 400 * DAY);
  sb.emulator.seed.rootAccessKey({
    createDate: rootCreated,
    lastUsed: { date: new Date(now - 2 * DAY), service: 'ec2', region: 'us-east-1' },
  });
  dueKey = seedOne(sb, { userName: 'due-key', keys: [{ ageDays: 85 }] });
  seedOne(sb, { userName: 'young-key', keys: [{ ageDays: 10 }] });
  rootBefore = sb.emulator.state.rootAccessKeys;
  run = await scanAndSettle(sb);
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('a scheduled fleet scan of an account whose root user has an active key', () => {
  it('reports the root key as an IAM.4 finding beside the users, who are decided as before', () => {
    expect(run.summary).toMatchObject({
      usersScanned: 2,
      usersManaged: 2,
      rootAccessKeys: 1,
      rootKeyFinding: {
        account: sb.emulator.accountId,
        keys: [
          {
            slot: 1,
            active: true,
            lastRotated: new Date(Math.floor(rootCreated.getTime() / 1000) * 1000).toISOString(),
            lastUsedService: 'ec2',
            lastUsedRegion: 'us-east-1',
          },
        ],
        control: 'IAM.4',
        advice: ROOT_KEY_ADVICE,
      },
    });
    expect(run.summary.users).toMatchObject({ due: ['due-key'], compliant: ['young-key'] });
    expect(scanEvents(sb)[0]?.Detail).toMatchObject({ rootKeyFinding: run.summary.rootKeyFinding });
  });

  it('publishes RootAccessKeys = 1', () => {
    expect(scanMetrics(sb)['rekey/RootAccessKeys']).toBe(1);
  });

  it('puts the finding at the top of its notification', () => {
    const notices = scanNotifications(sb);

    expect(notices).toHaveLength(1);
    expect(notices[0]?.Subject).toBe(
      'rekey fleet scan: root access key active (IAM.4), 1 item(s) need attention',
    );
    const [first, ...rest] = (notices[0]?.Message ?? '').split('\n');
    expect(first).toMatch(
      new RegExp(
        `^The root user of account ${sb.emulator.accountId} has 1 active access key\\(s\\) \\(Security Hub IAM\\.4, critical\\): key 1 created .*, last used .* \\(ec2 in us-east-1\\)\\. rekey never rotates, deactivates or deletes a root access key`,
      ),
    );
    expect(rest).toEqual([]);
  });

  it('starts a rotation for the due user alone, and none for the root user', () => {
    expect(rotationStatuses(sb)).toEqual([`${rotationName('due-key', dueKey)}: SUCCEEDED`]);
    for (const execution of rotations(sb))
      expect((JSON.parse(execution.input) as { userName: string }).userName).toBe('due-key');
    // The key changes in the account are that one rotation's: one key made, one retired.
    expect(iamCallCounts(sb.emulator.calls)).toMatchObject({
      CreateAccessKey: 1,
      UpdateAccessKey: 1,
      DeleteAccessKey: 1,
    });
    expect(liveKeys(sb, 'due-key').map((k) => k.accessKeyId)).not.toContain(dueKey.accessKeyId);
  });

  it('leaves the root key exactly as it was, still in the credential report', async () => {
    expect(sb.emulator.state.rootAccessKeys).toEqual(rootBefore);
    expect(rootBefore).toHaveLength(1);
    // The scan's report has expired in the days of sandbox time the rotation took: a new one.
    const { csv } = await fetchCredentialReport(new IAMClient(sb.clientConfig()));
    const { root } = readCredentialReport(csv);
    expect(root?.keys.map((k) => [k.slot, k.active, k.lastRotated?.toISOString()])).toEqual([
      [1, true, new Date(Math.floor(rootCreated.getTime() / 1000) * 1000).toISOString()],
    ]);
  });
});

describe('rekey report against that sandbox', () => {
  it('shows the finding and fails --fail-on-noncompliant on it, the users being compliant', async () => {
    const cli = await rekey(
      ['--endpoint-url', sb.endpoint, 'report', '--format', 'json', '--fail-on-noncompliant'],
      { env: sandboxEnv(sb) },
    );

    expect(cli.code).toBe(1);
    const report = JSON.parse(cli.stdout) as {
      users: { userName: string }[];
      summary: { noncompliant: string[]; rootAccessKeys: number };
      rootKeyFinding?: { account?: string; control: string };
    };
    expect(report.rootKeyFinding).toMatchObject({
      account: sb.emulator.accountId,
      control: 'IAM.4',
    });
    expect(report.summary).toMatchObject({ noncompliant: [], rootAccessKeys: 1 });
    expect(report.users.map((u) => u.userName).sort()).toEqual(['due-key', 'young-key']);
    expect(cli.stderr).toContain(
      `The root user of account ${sb.emulator.accountId} has 1 active access key(s) (Security Hub IAM.4, critical)`,
    );
  });
});
