/** Plain-text tables and number formats for the benchmark report (no colours: it is pasted). */

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

/** Sandbox durations as `7d 14h`, `4h 45m`. */
export function span(secondsTotal: number): string {
  const minutes = Math.round(secondsTotal / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
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
