import type * as SandboxModule from '../../sandbox/sandbox';
import type * as SeedModule from '../../sandbox/demo/seed';
import type * as RealTimeModule from '../../sandbox/real-time';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT } from '../errors';
import { when } from '../format';
import type { Output } from '../output';

export interface SandboxFlags {
  readonly port: number;
  readonly clock: 'auto' | 'manual';
  readonly seed?: 'demo';
  readonly verbose?: boolean;
  /** `--no-authorization`: let any authenticated caller do anything (experiments only). */
  readonly authorization?: boolean;
}

/**
 * The sandbox's folder, from a clone of the repository: it runs the handlers from their
 * TypeScript sources, and the installed package ships neither them nor the emulator's
 * dependencies (devDependencies, so that no construct user installs them).
 */
function sandboxSources(): string {
  const dir = path.resolve(__dirname, '..', '..', 'sandbox');
  if (!existsSync(path.join(dir, 'sandbox.ts'))) {
    throw new CliError(
      'rekey sandbox runs from a clone of the rekey repository (npm ci, then ' +
        'npx --no -- rekey sandbox there): the installed package leaves out the emulator, ' +
        'the TypeScript sources it runs and their dependencies',
      EXIT.setup,
      'SandboxNotInstalled',
    );
  }
  return dir;
}

/**
 * The sandbox loads the Lambda handlers (TypeScript) with import(). The `rekey` shim registers
 * tsx for require() only, which keeps every other command's start-up fast; registering tsx's
 * import() hooks is done here, once, for the sandbox. (A no-op when already running under tsx.)
 */
async function teachImportTypeScript(): Promise<void> {
  const tsx = 'tsx'; // a variable: left to Node's import(), not compiled into a require()
  await import(tsx);
}

/** Resolves on Ctrl-C or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * `rekey sandbox`: the emulated account with the synthesized stack deployed, kept running for
 * other clients (the AWS CLI, the SDKs, `rekey --endpoint-url`) until Ctrl-C.
 */
export async function sandboxCommand(out: Output, flags: SandboxFlags): Promise<number> {
  // Listening from the start: Ctrl-C while the stack is being synthesized still stops cleanly.
  const sandbox = sandboxSources();
  let early: string | undefined;
  const stopped = untilStopped().then((signal) => (early ??= signal));
  await teachImportTypeScript();
  // Loaded here, synchronously (tsx hooks require, not import()): the sandbox brings the CDK
  // app, which every other command would pay for at start-up. A computed path: the compiled
  // CLI's import graph does not reach the sandbox.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Sandbox } = require(path.join(sandbox, 'sandbox')) as typeof SandboxModule;
  let sb;
  try {
    sb = await Sandbox.start({
      port: flags.port,
      clockMode: flags.clock,
      verbose: flags.verbose,
      authorization: flags.authorization ?? true,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new CliError(
        `port ${flags.port} is in use: pass --port N (0 picks a free port)`,
        EXIT.setup,
        'PortInUse',
      );
    }
    throw error;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { seedDemoAccount } = require(path.join(sandbox, 'demo', 'seed')) as typeof SeedModule;
    const seeded = flags.seed === 'demo' ? seedDemoAccount(sb).map((u) => u.userName) : [];
    const { accessKeyId, secretAccessKey } = sb.emulator.admin;
    const info = {
      endpoint: sb.endpoint,
      region: sb.region,
      accountId: sb.emulator.accountId,
      stackName: sb.stack.stackName,
      stateMachines: {
        rotation: sb.stateMachineArn('rotation'),
        fleetScan: sb.stateMachineArn('fleet-scan'),
      },
      credentials: {
        accessKeyId,
        secretAccessKey,
        note: 'sandbox-only fake credentials: valid against this sandbox, not AWS secrets',
      },
      clock: { mode: flags.clock, now: sb.clock.now().toISOString() },
      authorization: flags.authorization ?? true,
      seeded,
    };
    if (early === undefined) {
      out.data(info);
      printInfo(out, info);
    }
    // A clock used by hand: between waits, sandbox time runs at least as fast as real time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { followRealTime } = require(path.join(sandbox, 'real-time')) as typeof RealTimeModule;
    const stopFollowing = followRealTime(sb.scheduler);
    const signal = await stopped;
    stopFollowing();
    out.line();
    out.line(`${signal}: stopping the sandbox (its account lived in memory and is gone).`);
  } finally {
    await sb.stop();
  }
  return EXIT.ok;
}

function printInfo(
  out: Output,
  info: {
    endpoint: string;
    region: string;
    accountId: string;
    stackName: string;
    stateMachines: { rotation: string; fleetScan: string };
    credentials: { accessKeyId: string; secretAccessKey: string };
    clock: { mode: string; now: string };
    authorization: boolean;
    seeded: string[];
  },
): void {
  const p = out.paint;
  const e = info.endpoint;
  const { accessKeyId, secretAccessKey } = info.credentials;
  out.line(
    `${p.bold('rekey sandbox')} ${p.dim('— an emulated AWS account on this machine; nothing here touches AWS')}`,
  );
  out.line();
  out.line(`  endpoint     ${p.bold(e)}`);
  out.line(`  region       ${info.region}    account ${info.accountId}`);
  out.line(`  stack        ${info.stackName}`);
  out.line(`  rotation     ${info.stateMachines.rotation}`);
  out.line(`  fleet scan   ${info.stateMachines.fleetScan}`);
  out.line(
    `  clock        ${info.clock.mode}, sandbox time ${when(info.clock.now)}` +
      (info.clock.mode === 'auto'
        ? ' (waits of days pass in moments)'
        : ' (moves only when you advance it)'),
  );
  out.line(
    `  authorization ${info.authorization ? 'evaluated (IAM, resource and KMS key policies; each Lambda as its role)' : 'off (--no-authorization): any caller may do anything'}`,
  );
  out.line(`  admin        AWS_ACCESS_KEY_ID=${accessKeyId}`);
  out.line(`               AWS_SECRET_ACCESS_KEY=${secretAccessKey}`);
  out.line(
    p.dim(
      '               sandbox-only fake credentials: they work against this sandbox only, not AWS secrets',
    ),
  );
  if (info.seeded.length > 0) out.line(`  demo users   ${info.seeded.join(', ')}`);
  out.line();
  out.line(p.bold('Try it from another terminal'));
  out.line(
    `  export AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} AWS_REGION=${info.region} AWS_DEFAULT_REGION=${info.region} AWS_ENDPOINT_URL=${e}`,
  );
  out.line(`  aws --endpoint-url ${e} iam list-access-keys --user-name alice`);
  out.line(`  rekey --endpoint-url ${e} report`);
  out.line(`  rekey --endpoint-url ${e} rotate alice --wait`);
  out.line(`  rekey --endpoint-url ${e} status`);
  if (info.clock.mode === 'manual') {
    out.line(
      `  curl -s -X POST ${e}/_sandbox/clock -d '{"advanceSeconds": 3600}'   ${p.dim('# move time 1 hour')}`,
    );
  }
  out.line();
  out.line(p.dim('Ctrl-C stops the sandbox.'));
}
