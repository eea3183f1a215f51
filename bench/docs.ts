/**
 * `npm run bench -- --write-docs`: the run's printed tables become docs/performance.md, and its
 * targets the summary table in the README (between the bench-summary markers), so neither is a
 * pasted run that goes stale by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Verdict } from './report';

export const SUMMARY_START = '<!-- bench-summary:start (npm run bench -- --write-docs) -->';
export const SUMMARY_END = '<!-- bench-summary:end -->';

export interface RunFacts {
  /** ISO date of the run. */
  readonly startedAt: string;
  readonly commit?: string;
  readonly cpu: string;
  readonly loadAverageMax: number;
  readonly cpuCount: number;
}

function dateOf(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ') + ' UTC';
}

function provenance(facts: RunFacts): string {
  const busy =
    facts.loadAverageMax > facts.cpuCount
      ? ` The machine was busy (load average up to ${facts.loadAverageMax.toFixed(1)} on ` +
        `${facts.cpuCount} CPUs), which inflates times but not counts.`
      : '';
  return (
    `Measured ${dateOf(facts.startedAt)}${facts.commit ? ` at commit ${facts.commit}` : ''} on ` +
    `${facts.cpu}.${busy}`
  );
}

/** The README's summary: each target beside what the run measured. */
export function summaryTable(targets: readonly Verdict[], facts: RunFacts): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    SUMMARY_START,
    '',
    '| Target | Measured | |',
    '| --- | --- | --- |',
    ...targets.map(
      (t) => `| ${cell(t.target)} | ${cell(t.figure)} | ${t.met ? 'met' : '**not met**'} |`,
    ),
    '',
    `${provenance(facts)} Every table and how to read it: [docs/performance.md](docs/performance.md).`,
    '',
    SUMMARY_END,
  ].join('\n');
}

/** docs/performance.md: what is measured, the run as printed, and how to read it. */
export function performanceDoc(output: string, facts: RunFacts): string {
  return `# Performance

What rekey costs to run and how it scales, measured on the sandbox by \`npm run bench\`. This page
is written by \`npm run bench -- --write-docs\`; do not edit it by hand. ${provenance(facts)}

## What is measured

1. **Fleet scan** (dry run) against the per-user approach at 100, 1,000 and 10,000 users: IAM
   calls by operation and wall time on the same seeded sandbox.
2. **One rotation** whose application moves to the new key after 1 hour, 1 day and 7 days: state
   transitions, Lambda invocations, AWS calls and their list-price cost.
3. **Every Lambda**: bundle size (bundled as \`NodejsFunction\` does) and cold initialisation in
   fresh Node processes.
4. **Sandbox throughput**: rotations started at once and run to completion with the real
   handlers, every request authorized.
5. **\`rekey credentials\`** (\`credential_process\`) start-up beside its floor, \`node -e 0\`,
   timed in pairs.

Each section runs in a fresh process on its own sandbox (\`bench/section.ts\`, orchestrated by
\`bench/run.ts\`). Every figure, with the machine, Node.js version, commit and load average, also
goes to \`bench/results.json\`.

## The run, as printed

\`\`\`text
${output.trimEnd()}
\`\`\`

## Reading it

- **Times depend on the machine and on what else it is doing**; call counts, state transitions,
  invocations, bundle sizes and costs do not. Compare those across runs.
- **Fleet scan.** rekey's IAM calls are the credential report's three plus one tag read per user
  whose key is old enough to be due, however many keys there are. The per-user approach makes
  about two calls per user before it has read a single tag. On AWS the number of calls, not the
  loopback wall time, decides how long a scan takes, because IAM throttles.
- **A rotation** costs almost only its Step Functions state transitions; Lambda adds millionths
  of a dollar. The number of cutover polls is set by \`rekey:pollIntervalMinutes\` and
  \`rekey:maxPollIntervalHours\`: the interval doubles up to the maximum, so a longer maximum means
  fewer transitions and a late move noticed later.
- **Cold initialisation** is mostly loading the AWS SDK clients that the runtime provides (the
  \`@aws-sdk alone\` column), not rekey's code.
- **Not counted** are the other services: above all Secrets Manager at its list price of $0.40
  per secret per month (one secret per managed user), then the KMS key, EventBridge events, logs
  and alarms. A user's secret costs more each month than a rotation of that user.
- **\`rekey credentials\`** from a fresh cache reads one small file with Node's built-in modules;
  reading the secret (the first run, and once per refresh interval) loads the AWS SDK.

## Reproduce

\`\`\`sh
npm ci && npm run bench                 # print the tables, write bench/results.json
npm run bench -- --write-docs           # also rewrite this page and the README's summary
\`\`\`
`;
}

/** Where the summary goes in the README; throws, saying how to fix it, without both markers. */
export function summaryRegion(readmePath: string): { start: number; end: number; text: string } {
  const text = readFileSync(readmePath, 'utf8');
  const start = text.indexOf(SUMMARY_START);
  const end = text.indexOf(SUMMARY_END);
  if (start < 0 || end < start) {
    throw new Error(
      `${path.basename(readmePath)} has no benchmark summary markers: put "${SUMMARY_START}" and ` +
        `"${SUMMARY_END}" where the summary belongs, then run again.`,
    );
  }
  return { start, end: end + SUMMARY_END.length, text };
}

/** Replaces the README's summary between its markers. */
export function updateReadme(readmePath: string, table: string): void {
  const { start, end, text } = summaryRegion(readmePath);
  writeFileSync(readmePath, text.slice(0, start) + table + text.slice(end));
}
