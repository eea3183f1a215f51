import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { rollbackCommand } from './commands/rollback';
import { reportCommand } from './commands/report';
import { rotateCommand, type RotateFlags } from './commands/rotate';
import { sandboxCommand, type SandboxFlags } from './commands/sandbox';
import {
  organizationReportCommand,
  organizationStatusCommand,
  type OrganizationFlags,
  type OrganizationReportFlags,
} from './commands/organization';
import { statusCommand } from './commands/status';
import { checkProfile, createContext, type Context, type GlobalOptions } from './context';
import { CliError, EXIT, explain } from './errors';
import { HELP } from './help';
import { createOutput, type Output } from './output';
import { checkUserName } from './users';
import type * as CredentialProcess from '../credentials/process/main';

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

function userArgument(value: string): string {
  try {
    return checkUserName(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The package's version: package.json is above cli/ in the repository, above dist/cli/ installed. */
function version(): string {
  const file = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')]
    .map((dir) => path.join(dir, 'package.json'))
    .find((candidate) => existsSync(candidate));
  const pkg = (file ? JSON.parse(readFileSync(file, 'utf8')) : {}) as { version?: string };
  return pkg.version ?? '0.0.0';
}

type Action = (ctx: Context, out: Output) => Promise<number>;

/** The flags that go with --organization (report and status). */
function organizationOptions(command: Command): void {
  command
    .option(
      '--reader-role <name>',
      'with --organization: the role each member account trusts (default: RekeyOrganizationReader)',
    )
    .option(
      '--reporter-role <name>',
      'with --organization: the central role the readers trust (default: RekeyOrganizationReporter)',
    )
    .option(
      '--concurrency <n>',
      'with --organization: accounts read at once (default: 8)',
      integer('--concurrency', 1, 64),
    );
}

function usage(message: string): CliError {
  return new CliError(message, EXIT.usage, 'UsageError');
}

/** --reader-role, --reporter-role and --concurrency mean nothing without --organization. */
function organizationOnly(flags: OrganizationFlags): void {
  const stray = [
    flags.readerRole !== undefined && '--reader-role',
    flags.reporterRole !== undefined && '--reporter-role',
    flags.concurrency !== undefined && '--concurrency',
  ].filter((f): f is string => typeof f === 'string');
  if (stray.length > 0)
    throw usage(
      `${stray.join(' and ')} go${stray.length === 1 ? 'es' : ''} only with --organization`,
    );
}

/** Runs one command with clients from the global options; every failure becomes an exit code. */
async function run(command: Command, action: Action): Promise<number> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(options.output === 'json');
  let ctx: Context | undefined;
  try {
    ctx = createContext(options);
    // `rekey sandbox` is its own account: it needs no profile.
    if (command.name() !== 'sandbox')
      await checkProfile(options.profile ?? process.env.AWS_PROFILE);
    return await action(ctx, out);
  } catch (error) {
    const failure = explain(error, { region: options.region, endpoint: ctx?.endpoint });
    out.data({
      error: { code: failure.code, message: failure.message, exitCode: failure.exitCode },
    });
    out.error(failure.message);
    if (process.env.REKEY_DEBUG && failure.cause) console.error(failure.cause);
    return failure.exitCode;
  } finally {
    ctx?.destroy();
  }
}

export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('rekey');
  // Before the subcommands are added: they copy these settings.
  program
    .exitOverride()
    .showHelpAfterError('(rekey --help for usage)')
    .configureHelp({ showGlobalOptions: true });
  /** Commander calls actions with (...arguments, options, command). */
  const act =
    (action: (...args: unknown[]) => Action) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      done(await run(cmd, action(...args.slice(0, -1))));
    };
  program
    .description(
      "Rotate IAM users' access keys safely with the rekey Step Functions workflow, on AWS or in `rekey sandbox`.",
    )
    .version(version(), '-V, --version')
    .option('--region <region>', "AWS region (default: AWS_REGION or the profile's region)")
    .option('--profile <name>', 'named profile from your AWS config (default: AWS_PROFILE)')
    .option(
      '--endpoint-url <url>',
      'send every AWS call to this URL, e.g. a `rekey sandbox` (or AWS_ENDPOINT_URL)',
    )
    .addOption(
      new Option('--output <format>', 'text for people, json for machines (on stdout)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option(
      '--stack <name>',
      'the rekey CloudFormation stack whose outputs name the state machines',
      'Rekey',
    )
    .addHelpText('after', HELP.program);

  program
    .command('rotate')
    .description(
      "start a rotation of one user's access key (create, verify, promote, cut over, deactivate, delete)",
    )
    .argument('<user>', 'IAM user name', userArgument)
    .option('--wait', 'follow the rotation live until it ends; exit 0 only if it succeeded')
    .option('--dry-run', 'let the workflow decide and explain, changing nothing')
    .option(
      '--emergency',
      'the key is exposed: rotate now and cut it off as soon as the new key is current',
    )
    .option('--key <accessKeyId>', 'with --emergency: the exposed access key')
    .option('--reason <text>', 'with --emergency: why (where it was exposed)')
    .option(
      '--exposed-at <time>',
      'with --emergency: when it was exposed (ISO 8601), for the forensics',
    )
    .addHelpText('after', HELP.rotate)
    .action(
      act(
        (user, flags) => (ctx, out) =>
          rotateCommand(ctx, out, user as string, flags as RotateFlags),
      ),
    );

  const status = program
    .command('status')
    .description(
      "running rotations (phase, waiting since, both keys' last use, deadline) and recent ones",
    )
    .argument('[user]', 'only this IAM user', userArgument)
    .option('--limit <n>', 'how many finished rotations to show', integer('--limit', 0, 1000), 10)
    .option(
      '--organization',
      "every account of the AWS Organization, through each one's reader role",
    )
    .addHelpText('after', HELP.status);
  organizationOptions(status);
  status.action(
    act((user, flags) => (ctx, out) => {
      const f = flags as OrganizationFlags & { limit: number; organization?: boolean };
      if (f.organization) {
        if (user !== undefined)
          throw usage('--organization shows every account: leave out the user name');
        return organizationStatusCommand(ctx, out, f);
      }
      organizationOnly(f);
      return statusCommand(ctx, out, user as string | undefined, f);
    }),
  );

  const report = program
    .command('report')
    .description(
      "every user's keys from the IAM credential report: age, status, last use, exemption, due date, decision",
    )
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: table, or json with --output json)',
      ).choices(['table', 'json', 'csv']),
    )
    .option(
      '--max-age <days>',
      'compliance threshold in days (default: 90)',
      integer('--max-age', 1, 3650),
    )
    .option(
      '--fail-on-noncompliant',
      'exit 1 if a managed user has an active key older than --max-age and no exemption, or the root user has an active access key (Security Hub IAM.4, critical)',
    )
    .option(
      '--organization',
      "every account of the AWS Organization, through each one's reader role, in one report with a summary per account",
    )
    .addHelpText('after', HELP.report);
  organizationOptions(report);
  report.action(
    act((flags) => (ctx, out) => {
      const f = flags as OrganizationReportFlags & { organization?: boolean };
      if (f.organization) return organizationReportCommand(ctx, out, f);
      organizationOnly(f);
      return reportCommand(ctx, out, f);
    }),
  );

  program
    .command('rollback')
    .description(
      'during the recovery window: reactivate the old key, make it current again, stop the rotation',
    )
    .argument('<user>', 'IAM user name', userArgument)
    .option('--reason <text>', "why, recorded in the stopped execution's cause")
    .option(
      '--force',
      'roll back an emergency rotation too: reactivates the exposed key (whoever found it can use it again)',
    )
    .addHelpText('after', HELP.rollback)
    .action(
      act(
        (user, flags) => (ctx, out) =>
          rollbackCommand(ctx, out, user as string, flags as { reason?: string; force?: boolean }),
      ),
    );

  program
    .command('sandbox')
    .description(
      'run an emulated AWS account with the rekey stack deployed, for the AWS CLI, SDKs and rekey',
    )
    .option(
      '--port <n>',
      'port on 127.0.0.1 (0 picks a free one)',
      integer('--port', 0, 65535),
      4599,
    )
    .addOption(
      new Option(
        '--clock <mode>',
        'auto: waits pass instantly; manual: time moves only when you advance it',
      )
        .choices(['auto', 'manual'])
        .default('auto'),
    )
    .addOption(new Option('--seed <account>', 'seed users and keys').choices(['demo']))
    .option('--verbose', 'print what the Lambdas log')
    .option(
      '--no-authorization',
      'do not evaluate IAM, resource and KMS key policies (experiments only)',
    )
    .addHelpText('after', HELP.sandbox)
    .action(act((flags) => (_ctx, out) => sandboxCommand(out, flags as SandboxFlags)));

  // bin/rekey.js runs `rekey credentials` from dist/ before this program loads (it must start
  // fast), and main() hands it its arguments untouched: commander would take its --region and
  // --endpoint-url for the global options. This entry lists it in --help, and refuses global
  // options written before it, which it would not see.
  program
    .command('credentials')
    .description(
      "print a user's current access key from its rekey secret, as a credential_process for the AWS CLI, SDKs and Terraform (rekey credentials --help)",
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]')
    .action(() => {
      process.stderr.write(
        'rekey credentials: write its options after the command, e.g. rekey credentials --secret-id rekey/alice --region eu-west-1\n',
      );
      done(EXIT.usage);
    });
  return program;
}

/** `rekey credentials <args>`, the same code as bin/rekey.js runs from dist/. */
function credentialsCommand(args: readonly string[]): Promise<number> {
  // require(), not import(): the `rekey` shim registers tsx for require() only.
  const { runCredentialProcess } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../credentials/process/main') as typeof CredentialProcess;
  return runCredentialProcess(args, {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

/** Parses argv and runs the command; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[2] === 'credentials') return credentialsCommand(argv.slice(3));
  // The SDK warns on every run that its 2027 releases will need Node 22; rekey pins its SDK
  // versions and supports Node 20, so the warning would only clutter stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `rekey --help | head` closes the pipe early: end quietly, as other command-line tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok);
      throw error;
    });
  }
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = error instanceof CliError ? error : explain(error, {});
    process.stderr.write(`rekey: ${failure.message}\n`);
    return failure.exitCode;
  }
  return code;
}
