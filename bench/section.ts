/**
 * Runs one benchmark section in this process, on its own sandbox, and writes its result as JSON:
 *   tsx bench/section.ts <lambdas|fleet|rotation|throughput|credentials> <out.json>
 * Each section gets a fresh process because the handlers read their environment once per
 * process, so sandboxes with different context cannot share one, and so that no section's
 * heap or loaded modules colour another's timings.
 */
import { writeFileSync } from 'node:fs';
import { Sandbox, REPO_ROOT } from '../sandbox/sandbox';
import { recordInvocations } from './common';
import { runCredentialProcess } from './credential-process';
import { runFleet } from './fleet';
import { runLambdas } from './lambdas';
import { CUTOVER_DEADLINE_HOURS, runRotations } from './rotation';
import { runThroughput } from './throughput';

const SECTIONS = ['lambdas', 'fleet', 'rotation', 'throughput', 'credentials'] as const;
type Section = (typeof SECTIONS)[number];

async function run(section: Section): Promise<unknown> {
  // Whole processes timed from outside: no sandbox in this process to compete with them.
  if (section === 'credentials') return runCredentialProcess(REPO_ROOT);
  const invocations = recordInvocations();
  const sb = await Sandbox.start(
    section === 'rotation'
      ? { context: { 'rekey:cutoverDeadlineHours': CUTOVER_DEADLINE_HOURS } }
      : {},
  );
  try {
    switch (section) {
      case 'lambdas':
        return await runLambdas(REPO_ROOT, sb.stack.functions, sb.region);
      case 'fleet':
        return await runFleet(sb, invocations);
      case 'rotation':
        return await runRotations(sb, invocations);
      case 'throughput':
        return await runThroughput(sb);
    }
  } finally {
    await sb.stop();
  }
}

async function main(): Promise<void> {
  const [section, out] = process.argv.slice(2);
  if (!SECTIONS.includes(section as Section) || !out) {
    throw new Error(`Usage: tsx bench/section.ts <${SECTIONS.join('|')}> <out.json>`);
  }
  const result = await run(section as Section);
  writeFileSync(out, JSON.stringify(result));
  // Handler modules keep SDK clients (and their sockets) for the life of the process.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
