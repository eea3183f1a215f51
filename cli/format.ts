import { shortKey } from '../lambdas/shared/keys';
import { sandboxTime, span, table } from '../core/format';

export { span, table };

/** Colours only on a terminal, never with NO_COLOR set (https://no-color.org). */
export function wantsColour(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

export interface Paint {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
}

export function paint(enabled: boolean): Paint {
  const code =
    (n: number) =>
    (s: string): string =>
      enabled ? `\u001b[${n}m${s}\u001b[0m` : s;
  return {
    bold: code(1),
    dim: code(2),
    red: code(31),
    green: code(32),
    yellow: code(33),
    cyan: code(36),
  };
}

/** `2026-11-28 01:47 UTC`. */
export function when(date: Date | string | undefined): string {
  if (date === undefined) return '-';
  const d = typeof date === 'string' ? new Date(date) : date;
  return Number.isNaN(d.getTime()) ? '-' : `${sandboxTime(d)} UTC`;
}

/** A duration for humans: `850 ms`, `12 s`, `4h 30m`, `6d 20h`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return span(ms);
}

/** `3h 10m ago` / `in 6d 20h`, relative to `now`. */
export function relative(date: Date | string | undefined, now: Date): string {
  if (date === undefined) return '';
  const d = typeof date === 'string' ? new Date(date) : date;
  const ms = d.getTime() - now.getTime();
  return ms >= 0 ? `in ${duration(ms)}` : `${duration(-ms)} ago`;
}

/** Access key ids in messages, shortened for reading (AKIA…WXYZ). They are ids, not secrets. */
export function shortenKeys(text: string): string {
  return text.replace(/\bA[KS]IA[A-Z0-9]{16}\b/g, (id) => shortKey(id));
}
