/**
 * Helpers of the package test: pack a copy of the working tree, and install the tarball into a
 * new CDK app offline, with the versions this repository's lockfile pins.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  bin: Record<string, string>;
}

export interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
  readonly size: number;
  readonly unpackedSize: number;
}

/**
 * `npm pack` (which runs the prepack build) on a copy of the files git would commit, with this
 * repository's node_modules: what a fresh clone packs after `npm ci`, and a build that never
 * rewrites the dist/ that other tests run from.
 */
export function packWorkingTree(workDir: string): Packed {
  const src = path.join(workDir, 'src');
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, file))) continue; // deleted, not yet committed
    fs.mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(src, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', workDir], {
    cwd: src,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [result] = JSON.parse(out) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  if (!result) throw new Error(`npm pack printed no result: ${out}`);
  return {
    tarball: path.join(workDir, result.filename),
    files: result.files.map((f) => f.path),
    size: result.size,
    unpackedSize: result.unpackedSize,
  };
}

/** Where `name`, required from the package at `from`, resolves in a lockfile's tree. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string {
  for (let dir = from; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir)
      throw new Error(`${name} (required from ${from || 'the root'}) is not in the lockfile`);
  }
}

/**
 * The lockfile entries the given dependencies need: each one and, transitively, its
 * dependencies, optional dependencies and required peers, at the paths this repository's
 * lockfile puts them (a subset of a valid tree resolves as the whole tree does).
 */
function closure(packages: Record<string, LockEntry>, roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (from: string, name: string, optional: boolean): void => {
    let at: string;
    try {
      at = resolveIn(packages, from, name);
    } catch (error) {
      if (optional) return; // an optional dependency of another platform
      throw error;
    }
    if (seen.has(at)) return;
    seen.add(at);
    const entry = packages[at] ?? {};
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(at, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(at, dep, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      visit(at, dep, entry.peerDependenciesMeta?.[dep]?.optional === true);
    }
  };
  for (const name of roots) visit('', name, false);
  return seen;
}

/**
 * A CDK app in `appDir` whose only dependencies are the tarball and its peers, installed by
 * `npm ci --offline` from a lockfile made of this repository's: the same versions, from npm's
 * cache (filled by this repository's `npm ci`), with no registry lookups.
 */
export function installIntoNewApp(appDir: string, tarball: string, pkg: Manifest): void {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const peers = Object.keys(pkg.peerDependencies);
  const pinned = Object.fromEntries(
    peers.map((name) => [name, lock.packages[`node_modules/${name}`]?.version ?? '']),
  );
  const spec = `file:${path.relative(appDir, tarball)}`;
  const dependencies = { [pkg.name]: spec, ...pinned };
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', version: '1.0.0', dependencies },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      dependencies: pkg.dependencies,
      peerDependencies: pkg.peerDependencies,
      bin: pkg.bin,
    },
  };
  for (const at of closure(lock.packages, [...Object.keys(pkg.dependencies), ...peers])) {
    // Dependencies of the app now, not of this repository's development.
    const entry = { ...lock.packages[at] };
    for (const flag of ['dev', 'devOptional', 'peer']) delete entry[flag];
    packages[at] = entry;
  }
  fs.mkdirSync(appDir, { recursive: true });
  fs.writeFileSync(
    path.join(appDir, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }, null, 2),
  );
  fs.writeFileSync(
    path.join(appDir, 'package-lock.json'),
    JSON.stringify(
      { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages },
      null,
      2,
    ),
  );
  execFileSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: appDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
