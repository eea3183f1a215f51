/** Renders each section's results as the tables `npm run bench` prints, and checks the targets. */
import { median, PRICES, sum } from './common';
import type { CredentialProcessResult } from './credential-process';
import type { FleetResult } from './fleet';
import {
  heading,
  int,
  kb,
  minutesSeconds,
  ms,
  operations,
  seconds,
  span,
  table,
  usd,
} from './format';
import type { LambdaResult } from './lambdas';
import { CONSUMER_PERIOD_SECONDS, CUTOVER_DEADLINE_HOURS, type RotationResult } from './rotation';
import type { ThroughputResult } from './throughput';

export const TARGETS = {
  transitions7Days: 60,
  bundleKB: 400,
  initMedianMs: 150,
  runMinutes: 10,
  rotationsPerSecond: 15,
  /** `rekey credentials` from a fresh cache, over a bare `node -e 0`: the AWS CLI pays it per command. */
  credentialsOverFloorMs: 60,
} as const;

export function fleetReport(results: readonly FleetResult[]): string {
  const rows = [
    ['users', 'keys', 'due (overdue)', 'approach', 'IAM calls by operation', 'total', 'wall time'],
  ];
  for (const r of results) {
    rows.push([
      int(r.users),
      int(r.keys),
      `${int(r.decisions.due)} (${int(r.decisions.overdue)})`,
      'rekey: credential report',
      operations(r.rekey.iamCalls),
      int(r.rekey.iamCallsTotal),
      seconds(r.rekey.wallMs),
    ]);
    rows.push([
      '',
      '',
      '',
      'per-user',
      operations(r.perUser.iamCalls),
      int(r.perUser.iamCallsTotal),
      seconds(r.perUser.wallMs),
    ]);
  }
  const largest = results[results.length - 1];
  return [
    heading(
      '1. Fleet scan (dry run): IAM calls and wall time, both approaches on the same seeded sandbox',
    ),
    table(rows, ['r', 'r', 'r', 'l', 'l', 'r', 'r']),
    '',
    'rekey: the fleet scan state machine as deployed (GenerateCredentialReport until COMPLETE, one',
    'GetCredentialReport, ListUserTags only for users whose key is old enough to be due).',
    'per-user: ListUsers (MaxItems 1000), ListAccessKeys per user, GetAccessKeyLastUsed per key,',
    "8 requests in flight (the scan's own tag-read concurrency); it reads no tags, so it could not",
    'apply exemptions or per-user policy without one more call per user.',
    'Wall time is against a loopback emulator: no network latency and no IAM throttling, so on AWS',
    'the call counts, not these seconds, decide how long a scan takes.',
    largest
      ? `Cost of one scan of ${int(largest.users)} users: ${largest.rekey.stateTransitions} state transitions + ` +
        `${seconds(largest.rekey.lambdaMs)} of Lambda (1,024 MB for the scan) = ${usd(largest.rekey.costUsd)}.`
      : '',
  ].join('\n');
}

export function rotationReport(
  results: readonly RotationResult[],
  lambdas: readonly LambdaResult[],
): string {
  const rows = [
    [
      'switch after',
      'result',
      'polls',
      'transitions',
      'Lambda inv.',
      'AWS calls',
      'LookupEvents',
      'sandbox time',
      'real time',
      'Step Functions',
      'Lambda',
      'total',
    ],
  ];
  for (const r of results) {
    rows.push([
      r.switchDelay,
      `${r.status} (${r.verdict ?? '-'})`,
      String(r.cutoverPolls ?? '-'),
      `${r.stateTransitions} (${r.statesEntered} + ${r.retries})`,
      String(r.lambdaInvocations),
      String(r.awsCallsTotal),
      `${r.lookupEvents} (${r.attributedChecks} check${r.attributedChecks === 1 ? '' : 's'})`,
      span(r.sandboxSeconds),
      seconds(r.realMs),
      usd(r.cost.stepFunctionsUsd),
      usd(r.cost.lambdaUsd),
      usd(r.cost.totalUsd),
    ]);
  }
  const ops = [...new Set(results.flatMap((r) => Object.keys(r.awsCalls)))].sort();
  const opRows = [['AWS calls by the Lambdas', ...results.map((r) => r.switchDelay)]];
  for (const op of ops) opRows.push([op, ...results.map((r) => String(r.awsCalls[op] ?? 0))]);
  const initMs = new Map(
    lambdas.map((l) => [l.step, { init: l.initMedianMs, memoryMB: l.memoryMB }]),
  );
  const coldExtra = (r: RotationResult): number =>
    sum(
      Object.entries(r.invocationsByStep).map(([step, n]) => {
        const l = initMs.get(step);
        return l ? n * (l.memoryMB / 1024) * (Math.ceil(l.init) / 1000) * PRICES.lambdaGbSecond : 0;
      }),
    );
  return [
    heading('2. One rotation, application switching late: transitions, invocations, calls, cost'),
    table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
    table(opRows, ['l', 'r', 'r', 'r']),
    '',
    `The application ('late' SimulatedConsumer) signs a request every ${CONSUMER_PERIOD_SECONDS / 60} minutes and re-reads the`,
    'secret only when its cache expires: 1 hour, 1 day, 7 days after the rotation started.',
    `Every case runs with rekey:cutoverDeadlineHours = ${CUTOVER_DEADLINE_HOURS} (default 168): at 168 h the 7-day`,
    'application would race the deadline. Before the deadline the polling does not depend on it.',
    'LookupEvents: CloudTrail lookups per rotation for attribution (who still uses the old key),',
    'made by the checks that found the old key used after promotion; at most 10 pages per check,',
    '2 per second. Each lookup is one AWS call and costs nothing (event history is free).',
    "Transitions = states entered (the history's *StateEntered events) + retries (here VerifyKey",
    "waiting out IAM's key propagation, 5 s in the sandbox): Step Functions bills both.",
    `Prices (us-east-1 list prices; they vary by region; free tiers ignored): Step Functions Standard`,
    `$0.025 per 1,000 transitions; Lambda arm64 $0.0000133334 per GB-second + $0.20 per 1M requests,`,
    "at each function's MemorySize from the template (256 MB). Billed duration is taken to be the",
    "handler's measured in-process duration rounded up to 1 ms: calls go to a loopback emulator, so",
    'on AWS each invocation runs longer. The Lambda share stays negligible even if every invocation',
    `were a cold start billed with its init (INIT is billed since 1 August 2025): +${usd(
      Math.max(...results.map(coldExtra)),
    )} at most.`,
  ].join('\n');
}

export function lambdaReport(results: readonly LambdaResult[]): string {
  const rows = [
    [
      'function',
      'memory',
      'bundle',
      'source map',
      'cold init median (min-max)',
      'CPU time',
      'no source maps',
      '@aws-sdk alone',
      'largest parts of the bundle',
    ],
  ];
  for (const r of results) {
    const sorted = [...r.initMs].sort((a, b) => a - b);
    rows.push([
      r.step,
      `${r.memoryMB} MB`,
      kb(r.bundleBytes),
      kb(r.sourceMapBytes),
      `${ms(r.initMedianMs)} (${Math.round(sorted[0] ?? NaN)}-${Math.round(sorted[sorted.length - 1] ?? NaN)})`,
      ms(median(r.initCpuMs)),
      ms(median(r.initMsWithoutSourceMaps)),
      ms(median(r.sdkOnlyMs)),
      r.parts
        .slice(0, 2)
        .map((p) => `${p.name.replace(/^@aws-lambda-powertools\//, 'powertools/')} ${kb(p.bytes)}`)
        .join(', '),
    ]);
  }
  return [
    heading('3. Every Lambda: bundle size and cold initialisation'),
    table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']),
    '',
    'Bundled as NodejsFunction does (esbuild: bundle, minify, CJS, platform node, target node22,',
    '@aws-sdk/* external, source map on); bundle = index.js, the map is deployed next to it.',
    'Cold init: time to require() the bundle in each of 10 fresh Node processes with the',
    "function's environment (NODE_OPTIONS=--enable-source-maps as deployed; also without it);",
    'CPU time is the median CPU (user + system) those loads used, which other work on the machine',
    'inflates least.',
    "@aws-sdk/* is external (the runtime provides it) and resolves from the repository's",
    "node_modules; '@aws-sdk alone' is the time to require() just the SDK packages the function",
    `uses. Node ${process.version} here; the functions run nodejs22.x on arm64.`,
  ].join('\n');
}

export function throughputReport(r: ThroughputResult): string {
  const rows = [
    [
      'rotations',
      'succeeded',
      'real time',
      'rotations / s',
      'sandbox time',
      'AWS calls',
      'history events',
      'decisions / rotation',
      'peak RSS',
    ],
    [
      int(r.rotations),
      int(r.statuses.SUCCEEDED ?? 0),
      seconds(r.realMs),
      r.rotationsPerSecond.toFixed(1),
      span(r.sandboxSeconds),
      int(r.awsCalls),
      int(r.historyEvents),
      r.authorization ? r.decisionsPerRotation.toFixed(1) : 'off',
      `${Math.round(r.peakRssMB)} MB`,
    ],
  ];
  return [
    heading('4. Sandbox throughput: 1,000 rotations started at once, run to completion'),
    table(rows, ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
    'Due users whose keys were never used (the cutover ends at the first check); each rotation runs',
    'the whole workflow, recovery window included, with the real handlers, in one Node process.',
    r.authorization
      ? `Authorization evaluated: ${int(r.decisions)} decisions (IAM, resource and KMS key policies, each Lambda as its role), ${int(r.denied)} refused.`
      : 'Authorization was switched off for this run.',
  ].join('\n');
}

function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${ms(median(values))} (${Math.round(sorted[0] ?? NaN)}-${Math.round(sorted[sorted.length - 1] ?? NaN)})`;
}

export function credentialProcessReport(r: CredentialProcessResult): string {
  const rows = [
    ['command', 'runs', 'wall median (min-max)', 'over the floor'],
    ['node -e 0 (the floor)', int(r.floorMs.length), spread(r.floorMs), '-'],
    [
      'rekey credentials, fresh cache',
      int(r.freshMs.length),
      spread(r.freshMs),
      `${ms(r.overFloorMs)} (median of pairs)`,
    ],
    [
      'rekey-credentials, fresh cache',
      int(r.binMs.length),
      spread(r.binMs),
      ms(r.binMedianMs - r.floorMedianMs),
    ],
    [
      'rekey credentials, first run',
      int(r.firstRunMs.length),
      spread(r.firstRunMs),
      ms(median(r.firstRunMs) - r.floorMedianMs),
    ],
  ];
  return [
    heading('5. rekey credentials (credential_process): start-up'),
    table(rows, ['l', 'r', 'r', 'r']),
    '',
    'Whole processes timed from this one (spawn to exit), the floor and both entry points in turn,',
    'so a busy moment on the machine affects all alike. "Fresh cache": the answer the AWS CLI gets',
    'before every command within the refresh interval (Node built-ins only, from dist/). "First',
    'run": no cache, bootstrap from the environment, the AWS SDK loaded and the secret read from a',
    `loopback emulator (a real read adds the network). The SDK provider (rekey/credentials) is`,
    `${kb(r.providerBytes)} minified, SDK external.`,
  ].join('\n');
}

export interface Verdict {
  readonly target: string;
  readonly met: boolean;
  readonly figure: string;
}

export function verdicts(
  rotation: readonly RotationResult[],
  lambdas: readonly LambdaResult[],
  runMs: number,
  credentials: CredentialProcessResult,
  throughput?: ThroughputResult,
): Verdict[] {
  const week = rotation.find((r) => r.switchDelaySeconds === 7 * 86_400);
  const biggest = [...lambdas].sort((a, b) => b.bundleBytes - a.bundleBytes)[0];
  const slow = lambdas.filter((l) => l.initMedianMs > TARGETS.initMedianMs);
  const slowest = [...lambdas].sort((a, b) => b.initMedianMs - a.initMedianMs)[0];
  const cpu = lambdas.map((l) => median(l.initCpuMs));
  const cpuRange = `${Math.round(Math.min(...cpu))}-${Math.round(Math.max(...cpu))} ms`;
  return [
    {
      target: `7-day cutover: at most ${TARGETS.transitions7Days} state transitions`,
      met: week !== undefined && week.stateTransitions <= TARGETS.transitions7Days,
      figure: week
        ? `${week.stateTransitions} (${week.statesEntered} states entered + ${week.retries} retries, ${week.cutoverPolls ?? '?'} polls)`
        : 'not measured',
    },
    {
      target: `every bundle at most ${TARGETS.bundleKB} KB`,
      met: biggest !== undefined && biggest.bundleBytes <= TARGETS.bundleKB * 1024,
      figure: biggest ? `largest ${kb(biggest.bundleBytes)} (${biggest.step})` : 'not measured',
    },
    {
      target: `every cold init median at most ${TARGETS.initMedianMs} ms`,
      met: lambdas.length > 0 && slow.length === 0,
      figure:
        (slow.length > 0
          ? `over: ${slow.map((l) => `${l.step} ${ms(l.initMedianMs)}`).join(', ')}`
          : `slowest ${slowest ? `${slowest.step} ${ms(slowest.initMedianMs)}` : 'not measured'}`) +
        `; CPU time medians ${cpuRange}`,
    },
    {
      target: `sandbox throughput with authorization at least ${TARGETS.rotationsPerSecond} complete rotations / s`,
      met:
        throughput !== undefined &&
        throughput.authorization &&
        throughput.rotationsPerSecond >= TARGETS.rotationsPerSecond,
      figure: throughput
        ? `${throughput.rotationsPerSecond.toFixed(1)} / s, ${throughput.decisionsPerRotation.toFixed(1)} decisions per rotation`
        : 'not measured',
    },
    {
      target: `rekey credentials from a fresh cache: at most ${TARGETS.credentialsOverFloorMs} ms over node -e 0`,
      met:
        credentials.freshMs.length > 0 && credentials.overFloorMs <= TARGETS.credentialsOverFloorMs,
      figure:
        `median ${ms(credentials.freshMedianMs)} vs floor ${ms(credentials.floorMedianMs)}: ` +
        `${ms(credentials.overFloorMs)} over (${int(credentials.freshMs.length)} pairs)`,
    },
    {
      target: `npm run bench under ${TARGETS.runMinutes} minutes`,
      met: runMs < TARGETS.runMinutes * 60_000,
      figure: minutesSeconds(runMs),
    },
  ];
}

export function verdictReport(list: readonly Verdict[]): string {
  return [
    heading('Targets'),
    ...list.map((v) => `${v.met ? 'met    ' : 'NOT MET'}  ${v.target}: ${v.figure}`),
  ].join('\n');
}
