/**
 * Rules of the import graph between folders, checked on the sources as they are: each rotation
 * step depends only on lambdas/shared (and the core), never on another step; the CLI and the
 * benchmark do not borrow from the sandbox's demo (only `rekey sandbox` seeds it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/**
 * Every module a file imports by a relative path (static, dynamic, type-only or `require`),
 * resolved to a path from the repository root, each once.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:from|import|import\(|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g),
  ].map((m) => m[1] ?? '');
  return [...new Set(specifiers.map((s) => path.normalize(path.join(path.dirname(file), s))))];
}

it('has no rotation or fleet step importing another step', () => {
  const crossings = sources('lambdas').flatMap((file) => {
    const [, step] = file.split(path.sep);
    if (step === 'shared') return [];
    return importsOf(file)
      .filter((target) => target.startsWith(`lambdas${path.sep}`))
      .filter((target) => {
        const other = target.split(path.sep)[1];
        return other !== step && other !== 'shared';
      })
      .map((target) => `${file} -> ${target}`);
  });

  expect(sources('lambdas').length).toBeGreaterThan(20);
  expect(crossings).toEqual([]);
});

it('keeps the CLI and the benchmark off the sandbox demo, but for `rekey sandbox` seeding it', () => {
  const demo = `sandbox${path.sep}demo`;
  const borrowed = [...sources('cli'), ...sources('bench')].flatMap((file) =>
    importsOf(file)
      .filter((target) => target.startsWith(demo))
      .map((target) => `${file} -> ${target}`),
  );

  expect(borrowed).toEqual([
    `${path.join('cli', 'commands', 'sandbox.ts')} -> ${path.join(demo, 'seed')}`,
  ]);
});

/**
 * What a module needs at run time: its `import`, `export … from` and `require()` specifiers,
 * leaving out the type-only ones (`import type`, `export type`), which compile to nothing.
 */
function runtimeSpecifiers(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [
    ...text.matchAll(
      /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm,
    ),
  ].map((m) => m[1] ?? m[2] ?? '');
}

/** The files and the packages reachable at run time from `entry` by relative imports. */
function runtimeGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of runtimeSpecifiers(file)) {
      if (!specifier.startsWith('.')) {
        const [scope = '', name = ''] = specifier.split('/');
        packages.add(specifier.startsWith('@') ? `${scope}/${name}` : scope);
        continue;
      }
      const target = path.normalize(path.join(path.dirname(file), specifier));
      const candidates = [`${target}.ts`, path.join(target, 'index.ts')];
      const found = candidates.find((c) => existsSync(path.join(ROOT, c)));
      if (!found) throw new Error(`${file}: cannot resolve ${specifier}`);
      visit(found);
    }
  };
  visit(entry);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

describe('the construct import graph (lib/index.ts, what `import … from @rekey/rekey` loads)', () => {
  const graph = runtimeGraph(path.join('lib', 'index.ts'));
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
  };

  it('stays out of the sandbox, the CLI, the benchmark and the Lambda steps', () => {
    const outside = graph.files.filter(
      (file) =>
        !file.startsWith(`lib${path.sep}`) && !file.startsWith(path.join('lambdas', 'shared')),
    );
    expect(graph.files).toContain(path.join('lib', 'key-rotation.ts'));
    expect(outside).toEqual([]);
  });

  it('loads only aws-cdk-lib, constructs, cdk-nag and cdk-stacksets, none of the CLI or sandbox packages', () => {
    // cdk-stacksets: OrganizationRotation's member StackSet and its assets (issue 16).
    expect(graph.packages.filter((p) => !p.startsWith('node:'))).toEqual([
      'aws-cdk-lib',
      'cdk-nag',
      'cdk-stacksets',
      'constructs',
    ]);
    // Installed with the package: peers the app provides, or dependencies.
    for (const name of graph.packages.filter((p) => !p.startsWith('node:'))) {
      expect(manifest.peerDependencies[name] ?? manifest.dependencies[name]).toBeDefined();
    }
  });

  it("keeps the CLI's start-up off the sandbox (`rekey sandbox` loads it only when run)", () => {
    const cli = runtimeGraph(path.join('cli', 'main.ts'));
    expect(cli.files.filter((file) => file.startsWith(`sandbox${path.sep}`))).toEqual([]);
    expect(cli.packages).toContain('commander');
    for (const name of ['tsx', 'aws-local-stepfunctions', '@cloud-copilot/iam-simulate']) {
      expect(cli.packages).not.toContain(name);
    }
  });
});
