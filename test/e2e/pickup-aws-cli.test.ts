/**
 * An application holding only alice's key follows three consecutive rotations: the AWS CLI v2
 * itself, configured through a temporary AWS_CONFIG_FILE with
 * `credential_process = rekey credentials ...`, signing a request every few sandbox minutes.
 */
import { writeFileSync } from 'node:fs';
import { requireTool } from '../setup/tools';
import { AwsCliConsumer } from '../../sandbox/apps/aws-cli-consumer';
import type { Sandbox } from '../../sandbox/sandbox';
import { makeHome, REKEY } from '../credentials/process-helpers';
import { checkSecrecy, liveKeys, output, watch } from './helpers';
import {
  aliceRotatedOnce,
  keysInOrder,
  newKeys,
  PERIOD_MINUTES,
  secretReadsBy,
  startSandbox,
  threeRotations,
} from './pickup-helpers';

const AWS = '/usr/bin/aws';
const maybe = requireTool(AWS) ? describe : describe.skip;

maybe('an application holding only alice’s key: the AWS CLI v2 with rekey credentials', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await startSandbox();
  }, 60_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it('follows three consecutive rotations with no failed command; every cutover ends switched', async () => {
    const initial = await aliceRotatedOnce(sb);
    const monitor = watch(sb, ['alice']);
    const home = makeHome();
    home.setProfiles({ 'alice-initial': initial });
    const rekeyCredentials = [
      process.execPath,
      REKEY,
      'credentials',
      '--secret-id rekey/alice',
      `--region ${sb.region}`,
      '--bootstrap-profile alice-initial',
      `--endpoint-url ${sb.endpoint}`,
    ].join(' ');
    writeFileSync(
      home.configFile,
      `[profile alice]\nregion = ${sb.region}\ncredential_process = ${rekeyCredentials}\n`,
    );
    const cli = new AwsCliConsumer({
      profile: 'alice',
      env: { ...home.env, AWS_PAGER: '' },
      endpoint: sb.endpoint,
      clock: sb.clock,
      scheduler: sb.scheduler,
      emulatorCalls: () => sb.emulator.calls,
      periodSeconds: PERIOD_MINUTES * 60,
    });
    const mark = sb.emulator.calls.length;
    cli.start();
    // The first command runs at once: let it end before the workflow starts calling AWS.
    await sb.settle();

    const executions = await threeRotations(sb, cli);
    await cli.stop();

    expect(cli.failures).toEqual([]);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(executions.map((e) => output(e).cutover)).toEqual([
      expect.objectContaining({ verdict: 'switched' }),
      expect.objectContaining({ verdict: 'switched' }),
      expect.objectContaining({ verdict: 'switched' }),
    ]);
    const published = newKeys(executions);
    expect(keysInOrder(cli.calls)).toEqual([initial.accessKeyId, ...published]);
    expect(JSON.parse(cli.calls.at(-1)?.stdout ?? '{}')).toMatchObject({
      Arn: 'arn:aws:iam::123456789012:user/alice',
    });
    // The bootstrap read once; later reads were signed with the key the cache held.
    const aliceKeys = [initial.accessKeyId, ...published];
    const reads = secretReadsBy(sb.emulator.calls.slice(mark), aliceKeys);
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads.length).toBeLessThan(cli.calls.length);
    expect(reads.every((c) => c.status === 200)).toBe(true);
    expect(liveKeys(sb, 'alice').map((k) => k.accessKeyId)).toEqual(published.slice(-1));
    monitor.checkNoOrphans();
    checkSecrecy(sb, monitor, executions);
    monitor.checkSecrecy(
      cli.calls.map((c, i) => ({ where: `AWS CLI command ${i + 1}`, text: c.stdout + c.stderr })),
    );
    monitor.stop();
    expect(monitor.violations).toEqual([]);
  }, 300_000);
});
