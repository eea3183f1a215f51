import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  SUMMARY_END,
  SUMMARY_START,
  performanceDoc,
  summaryTable,
  updateReadme,
} from '../../bench/docs';

const facts = {
  startedAt: '2026-12-02T02:00:00.000Z',
  commit: 'abc1234',
  cpu: 'Test CPU x 2',
  loadAverageMax: 3.5,
  cpuCount: 2,
};
const targets = [
  { target: 'every bundle at most 400 KB', met: true, figure: 'largest 78.6 KB (fleet-scan)' },
  { target: 'a | b', met: false, figure: '61 | 60' },
];

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function readme(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rekey-bench-docs-'));
  dirs.push(dir);
  const file = path.join(dir, 'README.md');
  writeFileSync(file, body);
  return file;
}

it('puts each target beside its figure, says which were missed, and escapes table pipes', () => {
  const table = summaryTable(targets, facts);
  expect(table.startsWith(SUMMARY_START) && table.endsWith(SUMMARY_END)).toBe(true);
  expect(table).toContain('| every bundle at most 400 KB | largest 78.6 KB (fleet-scan) | met |');
  expect(table).toContain('| a \\| b | 61 \\| 60 | **not met** |');
  expect(table).toContain('load average up to 3.5 on 2 CPUs');
  expect(table).toContain('at commit abc1234');
});

it('replaces only the summary between the markers, keeping the rest of the README', () => {
  const file = readme(`# x\n\nbefore\n\n${SUMMARY_START}\nold table\n${SUMMARY_END}\n\nafter\n`);
  updateReadme(file, summaryTable(targets, facts));
  const text = readFileSync(file, 'utf8');
  expect(text).not.toContain('old table');
  expect(text.startsWith('# x\n\nbefore\n\n')).toBe(true);
  expect(text.endsWith(`${SUMMARY_END}\n\nafter\n`)).toBe(true);
  expect(text.split(SUMMARY_START)).toHaveLength(2);
});

it('refuses a README without the markers, saying what to add, and leaves it as it was', () => {
  const file = readme('# x\n\nno markers\n');
  expect(() => updateReadme(file, summaryTable(targets, facts))).toThrow(
    /README\.md has no benchmark summary markers: put "<!-- bench-summary:start/,
  );
  expect(readFileSync(file, 'utf8')).toBe('# x\n\nno markers\n');
});

it('writes the run as printed into the performance page, with where it ran', () => {
  const doc = performanceDoc('rekey benchmark, line 1\nTargets\n-------\n', facts);
  expect(doc).toContain('```text\nrekey benchmark, line 1\nTargets\n-------\n```');
  expect(doc).toContain('Measured 2026-12-02 02:00 UTC at commit abc1234 on Test CPU x 2.');
});
