/**
 * Every Lambda as deployed: bundled by esbuild exactly as lib/rekey-function.ts has
 * NodejsFunction bundle it, its size, and its cold initialisation (loading the bundle) in fresh
 * Node processes with the function's environment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { handlerBuildOptions } from '../lib/handler-bundling';
import type { LambdaFunctionSpec } from '../sandbox/runner/lambda-host';
import { median, progress, stepOf } from './common';

export const COLD_STARTS = 10;

export interface LambdaResult {
  readonly step: string;
  readonly functionName: string;
  readonly memoryMB: number;
  /** index.js as deployed (minified). */
  readonly bundleBytes: number;
  /** index.js.map, deployed next to it (sourceMap: true). */
  readonly sourceMapBytes: number;
  /** Bytes of the bundle per package (`rekey` for this repository's code), largest first. */
  readonly parts: { readonly name: string; readonly bytes: number }[];
  /** The AWS SDK packages the bundle loads from the runtime (external). */
  readonly sdkModules: readonly string[];
  /** Milliseconds to require() the bundle, as deployed (NODE_OPTIONS=--enable-source-maps). */
  readonly initMs: readonly number[];
  readonly initMedianMs: number;
  /** CPU milliseconds (user + system) the same loads took: what other work on the machine inflates least. */
  readonly initCpuMs: readonly number[];
  /** The same without --enable-source-maps. */
  readonly initMsWithoutSourceMaps: readonly number[];
  /** Milliseconds to require() only the external @aws-sdk packages it uses. */
  readonly sdkOnlyMs: readonly number[];
}

/** `node_modules/@scope/name/...` → `@scope/name`; this repository's files → `rekey`. */
function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? 'rekey';
}

/** Bundled with the options RekeyFunction deploys with (lib/handler-bundling.ts). */
async function bundle(
  repoRoot: string,
  step: string,
  outDir: string,
): Promise<{ file: string; parts: LambdaResult['parts']; sdkModules: string[] }> {
  const file = path.join(outDir, step, 'index.js');
  const result = await build({
    ...handlerBuildOptions(path.join(repoRoot, 'lambdas', step, 'handler.ts'), path.dirname(file)),
    absWorkingDir: repoRoot,
    metafile: true,
    logLevel: 'warning',
  });
  const output = Object.entries(result.metafile.outputs).find(([name]) =>
    name.endsWith('index.js'),
  )?.[1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const parts = [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  const sdkModules = [
    ...new Set((output?.imports ?? []).filter((i) => i.external).map((i) => i.path)),
  ].sort();
  return { file, parts, sdkModules };
}

/** Wall and CPU milliseconds that require() of `modules` takes in a fresh Node process. */
function timeRequire(
  modules: readonly string[],
  env: Record<string, string>,
): { wallMs: number; cpuMs: number } {
  const script =
    'const m=JSON.parse(process.env.BENCH_MODULES);' +
    'const c=process.cpuUsage();const t=process.hrtime.bigint();' +
    'for(const x of m)require(x);' +
    'const w=Number(process.hrtime.bigint()-t)/1e6;const u=process.cpuUsage(c);' +
    'process.stdout.write(JSON.stringify([w,(u.user+u.system)/1e3]))';
  const child = spawnSync(process.execPath, ['-e', script], {
    env: { ...env, BENCH_MODULES: JSON.stringify(modules) },
    encoding: 'utf8',
  });
  const [wallMs, cpuMs] = (child.status === 0 ? JSON.parse(child.stdout || '[]') : []) as number[];
  if (wallMs === undefined || cpuMs === undefined) {
    throw new Error(`Loading ${modules.join(', ')} failed (exit ${child.status}): ${child.stderr}`);
  }
  return { wallMs, cpuMs };
}

export async function runLambdas(
  repoRoot: string,
  functions: readonly LambdaFunctionSpec[],
  region: string,
): Promise<LambdaResult[]> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'rekey-bench-'));
  try {
    const results: LambdaResult[] = [];
    for (const fn of [...functions].sort((a, b) => stepOf(a).localeCompare(stepOf(b)))) {
      const step = stepOf(fn);
      progress(`bundle and ${COLD_STARTS} cold starts: ${step}`);
      const { file, parts, sdkModules } = await bundle(repoRoot, step, outDir);
      // The runtime provides @aws-sdk/*; here it resolves from the repository's node_modules.
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        NODE_PATH: path.join(repoRoot, 'node_modules'),
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMB),
        ...fn.environment,
      };
      const withoutMaps = Object.fromEntries(
        Object.entries(env).filter(([name]) => name !== 'NODE_OPTIONS'),
      );
      const initMs: number[] = [];
      const initCpuMs: number[] = [];
      const initMsWithoutSourceMaps: number[] = [];
      const sdkOnlyMs: number[] = [];
      // Interleaved, so that a busy moment on the machine affects all three alike.
      for (let i = 0; i < COLD_STARTS; i++) {
        const deployed = timeRequire([file], env);
        initMs.push(deployed.wallMs);
        initCpuMs.push(deployed.cpuMs);
        initMsWithoutSourceMaps.push(timeRequire([file], withoutMaps).wallMs);
        sdkOnlyMs.push(timeRequire(sdkModules, env).wallMs);
      }
      results.push({
        step,
        functionName: fn.functionName,
        memoryMB: fn.memoryMB,
        bundleBytes: statSync(file).size,
        sourceMapBytes: statSync(`${file}.map`).size,
        parts,
        sdkModules,
        initMs,
        initMedianMs: median(initMs),
        initCpuMs,
        initMsWithoutSourceMaps,
        sdkOnlyMs,
      });
    }
    return results;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
