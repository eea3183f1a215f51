/**
 * `npm run bench`: what rekey costs to run and how it scales, measured on the sandbox. Each
 * section runs in a fresh process (bench/section.ts), one after the other so they do not compete
 * for the CPU; this prints a table per section, a verdict per target, and writes
 * bench/results.json with every figure and the machine it ran on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as prettier from 'prettier';
import type { CredentialProcessResult } from './credential-process';
import { performanceDoc, summaryRegion, summaryTable, updateReadme } from './docs';
import type { FleetResult } from './fleet';
import type { LambdaResult } from './lambdas';
import {
  credentialProcessReport,
  fleetReport,
  lambdaReport,
  rotationReport,
  throughputReport,
  verdictReport,
  verdicts,
} from './report';
import type { RotationResult } from './rotation';
import type { ThroughputResult } from './throughput';

const BENCH_DIR = __dirname;
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const RESULTS = path.join(BENCH_DIR, 'results.json');
const PERFORMANCE_DOC = path.join(REPO_ROOT, 'docs', 'performance.md');
const README = path.join(REPO_ROOT, 'README.md');

/** `--write-docs` is the one option; anything else is a mistake, said before a long run. */
function options(argv: readonly string[]): { writeDocs: boolean } {
  const unknown = argv.filter((arg) => arg !== '--write-docs');
  if (unknown.length > 0) {
    process.stderr.write(
      `npm run bench: unknown argument ${unknown.map((a) => `"${a}"`).join(', ')}. ` +
        'Usage: npm run bench [-- --write-docs] (also rewrite docs/performance.md and the README summary).\n',
    );
    process.exit(2);
  }
  return { writeDocs: argv.includes('--write-docs') };
}

/** Formats generated Markdown as the repository's prettier does, so `prettier --check` holds. */
async function formatted(file: string, text: string): Promise<string> {
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}

interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGB: number;
  readonly platform: string;
  readonly node: string;
  readonly commit?: string;
  readonly loadAverageAtStart: number[];
}

function machine(): Machine {
  const cpus = os.cpus();
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    commit: git.status === 0 ? git.stdout.trim() : undefined,
    loadAverageAtStart: os.loadavg().map((n) => Number(n.toFixed(2))),
  };
}

/** Runs one section in a child process under tsx and returns its JSON result. */
async function section<T>(name: string, dir: string): Promise<{ result: T; ms: number }> {
  const out = path.join(dir, `${name}.json`);
  const started = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, path.join(BENCH_DIR, 'section.ts'), name, out],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`The ${name} section failed (exit ${code})`);
  return { result: JSON.parse(readFileSync(out, 'utf8')) as T, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const { writeDocs } = options(process.argv.slice(2));
  if (writeDocs) summaryRegion(README); // a README without its markers fails now, not after the run
  const started = performance.now();
  const startedAt = new Date();
  const host = machine();
  const printed: string[] = [];
  const say = (text: string): boolean => {
    printed.push(text);
    return process.stdout.write(`${text}\n`);
  };
  say(
    `rekey benchmark, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: ` +
      `${host.cpuModel} x ${host.cpuCount}, ${host.memoryGB} GB, ${host.platform}, ` +
      `Node ${process.version}, load average ${host.loadAverageAtStart.join(' ')}` +
      (host.commit ? `, commit ${host.commit}` : ''),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rekey-bench-results-'));
  try {
    const lambdas = await section<LambdaResult[]>('lambdas', dir);
    const fleet = await section<FleetResult[]>('fleet', dir);
    say(fleetReport(fleet.result));
    const rotation = await section<RotationResult[]>('rotation', dir);
    say(rotationReport(rotation.result, lambdas.result));
    say(lambdaReport(lambdas.result));
    const throughput = await section<ThroughputResult>('throughput', dir);
    say(throughputReport(throughput.result));
    const credentials = await section<CredentialProcessResult>('credentials', dir);
    say(credentialProcessReport(credentials.result));

    const runMs = performance.now() - started;
    const targets = verdicts(
      rotation.result,
      lambdas.result,
      runMs,
      credentials.result,
      throughput.result,
    );
    say(verdictReport(targets));
    say(
      `\nSection times: lambdas ${Math.round(lambdas.ms / 1000)} s, fleet ${Math.round(fleet.ms / 1000)} s, ` +
        `rotation ${Math.round(rotation.ms / 1000)} s, throughput ${Math.round(throughput.ms / 1000)} s, ` +
        `credentials ${Math.round(credentials.ms / 1000)} s. ` +
        `Load average at the end: ${os
          .loadavg()
          .map((n) => n.toFixed(2))
          .join(' ')}.`,
    );
    const busiest = Math.max(host.loadAverageAtStart[0] ?? 0, os.loadavg()[0] ?? 0);
    if (busiest > host.cpuCount) {
      say(
        `The machine was busy (load average up to ${busiest.toFixed(1)} on ${host.cpuCount} CPUs): times ` +
          '(wall time, cold init, throughput) are inflated by other work; call counts, transitions, ' +
          'invocations and sizes are not.',
      );
    }
    writeFileSync(
      RESULTS,
      `${JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          machine: { ...host, loadAverageAtEnd: os.loadavg().map((n) => Number(n.toFixed(2))) },
          runSeconds: runMs / 1000,
          sectionSeconds: {
            lambdas: lambdas.ms / 1000,
            fleet: fleet.ms / 1000,
            rotation: rotation.ms / 1000,
            throughput: throughput.ms / 1000,
            credentials: credentials.ms / 1000,
          },
          targets,
          fleet: fleet.result,
          rotation: rotation.result,
          lambdas: lambdas.result,
          throughput: throughput.result,
          credentials: credentials.result,
        },
        null,
        2,
      )}\n`,
    );
    say(`Wrote ${path.relative(REPO_ROOT, RESULTS)}.`);
    if (writeDocs) {
      const facts = {
        startedAt: startedAt.toISOString(),
        commit: host.commit,
        cpu: `${host.cpuModel} x ${host.cpuCount}, ${host.memoryGB} GB, ${host.platform}, Node.js ${process.version}`,
        loadAverageMax: busiest,
        cpuCount: host.cpuCount,
      };
      mkdirSync(path.dirname(PERFORMANCE_DOC), { recursive: true });
      writeFileSync(
        PERFORMANCE_DOC,
        await formatted(PERFORMANCE_DOC, performanceDoc(printed.join('\n'), facts)),
      );
      updateReadme(README, summaryTable(targets, facts));
      writeFileSync(README, await formatted(README, readFileSync(README, 'utf8')));
      process.stdout.write(
        `Wrote ${path.relative(REPO_ROOT, PERFORMANCE_DOC)} and the README's summary.\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
