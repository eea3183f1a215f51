/**
 * Plain-text formatting shared by the CLI, the sandbox demo and the benchmark: dates, durations
 * and aligned tables. The first resident of the domain core (docs/design.md): nothing here
 * depends on AWS, the sandbox or a terminal.
 */

/** A date as `2026-11-28 01:47` (UTC, to the minute). */
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

/** Rows as columns padded to their widest cell, two spaces apart; colour codes take no width. */
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
