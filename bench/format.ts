/** Plain-text tables and number formats for the benchmark report (no colours: it is pasted). */
import { span as spanMs } from '../core/format';

export type Align = 'l' | 'r';

/** Columns separated by two spaces; `align` per column (default left). */
export function table(rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - cell.length);
          return align[i] === 'r' ? pad + cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export const ms = (n: number): string => `${Math.round(n)} ms`;

export function seconds(milliseconds: number): string {
  const s = milliseconds / 1000;
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/** Dollars, down to fractions of a cent. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  // Three significant digits.
  const digits = Math.max(2, 2 - Math.floor(Math.log10(Math.abs(n))));
  return `$${n.toFixed(Math.min(digits, 10))}`;
}

/** Sandbox durations given in seconds, as `7d 14h`, `4h 45m` (the demo's format). */
export function span(secondsTotal: number): string {
  return spanMs(secondsTotal * 1000);
}

export function minutesSeconds(milliseconds: number): string {
  const total = Math.round(milliseconds / 1000);
  return `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, '0')}s`;
}

/** `Operation n, Operation n` without the service prefix when all share one. */
export function operations(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([op, n]) => `${op.replace(/^iam:/, '')} ${int(n)}`)
    .join(', ');
}

export function heading(title: string): string {
  return `\n${title}\n${'-'.repeat(title.length)}`;
}
