import { shortKey } from '../../lambdas/shared/keys';

/** Sandbox time as `2026-11-28 01:47`. */
export function sandboxTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/** A duration as `14d 6h`, `4h 30m`, `12m`. */
export function span(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}

export const key = (id: unknown): string => (typeof id === 'string' ? shortKey(id) : '-');

const colours = process.stdout.isTTY && !process.env.NO_COLOR;
const paint =
  (code: number) =>
  (text: string): string =>
    colours ? `\u001b[${code}m${text}\u001b[0m` : text;
export const bold = paint(1);
export const dim = paint(2);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);

export function table(rows: readonly (readonly string[])[]): string {
  // Width without colour codes (ESC [ n m).
  const visible = (s: string): number =>
    s.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '').length;
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - visible(cell)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
