/**
 * Control routes for sandbox time, so an operator (the CLI, curl) can look at the clock, switch
 * between automatic and manual time, and move time forward mid-rotation.
 */
import type { Scheduler } from '../clock';
import type { SandboxEmulator } from './deploy';
import type { LogEntry, MetricDatum } from './output-capture';

export interface ClockState {
  readonly now: string;
  readonly mode: 'auto' | 'manual';
  readonly pendingTimers: number;
  readonly nextTimer?: string;
}

export function clockState(scheduler: Scheduler): ClockState {
  const next = scheduler.nextTimer();
  return {
    now: scheduler.clock.now().toISOString(),
    mode: scheduler.mode,
    pendingTimers: scheduler.pendingTimers,
    ...(next ? { nextTimer: next.toISOString() } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function addControlRoutes(
  emulator: SandboxEmulator,
  scheduler: Scheduler,
  output: { readonly logs: readonly LogEntry[]; readonly metrics: readonly MetricDatum[] },
): void {
  emulator.addControlRoute('GET', '/_sandbox/clock', () => clockState(scheduler));
  emulator.addControlRoute('POST', '/_sandbox/clock', async (body: unknown) => {
    const request = isRecord(body) ? body : {};
    const { mode, advanceSeconds } = request;
    if (mode !== undefined && mode !== 'auto' && mode !== 'manual') {
      throw new Error(`mode must be 'auto' or 'manual'; got ${JSON.stringify(mode)}`);
    }
    if (
      advanceSeconds !== undefined &&
      (typeof advanceSeconds !== 'number' || !(advanceSeconds >= 0))
    ) {
      throw new Error(
        `advanceSeconds must be a number >= 0; got ${JSON.stringify(advanceSeconds)}`,
      );
    }
    if (mode !== undefined) scheduler.setMode(mode);
    if (advanceSeconds !== undefined) await scheduler.advance(advanceSeconds * 1000);
    return clockState(scheduler);
  });
  emulator.addControlRoute('GET', '/_sandbox/logs', () => output.logs);
  emulator.addControlRoute('GET', '/_sandbox/metrics', () => output.metrics);
}
