/**
 * Rules of the import graph between folders, checked on the sources as they are: each rotation
 * step depends only on lambdas/shared (and the core), never on another step; the CLI and the
 * benchmark do not borrow from the sandbox's demo (only `rekey sandbox` seeds it).
 */
import { readdirSync, readFileSync } from 'node:fs';
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
