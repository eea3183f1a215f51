/**
 * Sandbox time. `SandboxClock` is the time every part of the sandbox reads (the emulator, the
 * handlers through `useClock`, the runner's history). It stands still until something moves
 * it, so runs are deterministic. `Scheduler` moves it: participants (executions, simulated
 * consumer applications) sleep on virtual timers, and in 'auto' mode the scheduler jumps the
 * clock to the earliest timer whenever nothing is working, so days of waiting take
 * milliseconds. In 'manual' mode time moves only through `advance`.
 */
import type { Clock } from '../lambdas/shared/clock';

export interface SandboxClockOptions {
  /** Sandbox time at creation. @default the real time now */
  readonly start?: Date;
}

export class SandboxClock implements Clock {
  private current: number;

  constructor(options: SandboxClockOptions = {}) {
    this.current = (options.start ?? new Date()).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves to `date`; an earlier date leaves the clock where it is (it never goes backwards). */
  advanceTo(date: Date): Date {
    this.current = Math.max(this.current, date.getTime());
    return this.now();
  }

  advanceBy(ms: number): Date {
    if (!(ms >= 0)) throw new RangeError(`The sandbox clock cannot go backwards (advanceBy ${ms})`);
    this.current += ms;
    return this.now();
  }
}

export type SchedulerMode = 'auto' | 'manual';

export interface SchedulerOptions {
  /** @default 'auto' */
  readonly mode?: SchedulerMode;
}

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly wake: () => void;
}

/** One macrotask turn: every promise reaction queued before it has run when it resolves. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Participants mark their work with `activity`/`track` and wait with `sleep`. Anything that
 * acts on the sandbox from outside (a test or operator starting executions over HTTP) is a
 * participant too: in 'auto' mode, hold `activity()` while starting several executions that
 * must begin at the same sandbox time, or the clock may jump between the calls.
 */
export class Scheduler {
  private modeValue: SchedulerMode;
  private timers: Timer[] = [];
  private seq = 0;
  private holds = 0;
  /** Changes whenever work starts or stops or a timer is added or removed. */
  private epoch = 0;
  private zeroWaiters: (() => void)[] = [];
  private driving = false;
  private advancing: Promise<void> = Promise.resolve();
  private advanceDepth = 0;

  constructor(
    readonly clock: SandboxClock,
    options: SchedulerOptions = {},
  ) {
    this.modeValue = options.mode ?? 'auto';
  }

  get mode(): SchedulerMode {
    return this.modeValue;
  }

  setMode(mode: SchedulerMode): void {
    this.modeValue = mode;
    this.changed();
    this.drive();
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Work in progress right now (holds from `activity` and `track`). */
  get active(): number {
    return this.holds;
  }

  /** When the earliest pending timer is due. */
  nextTimer(): Date | undefined {
    const next = this.earliest();
    return next ? new Date(next.due) : undefined;
  }

  /**
   * Marks work in progress until the returned function is called (calling it again is a no-op).
   * While anything is held the clock stands still.
   */
  activity(): () => void {
    this.holds += 1;
    this.changed();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      this.changed();
      if (this.holds === 0) {
        const waiters = this.zeroWaiters;
        this.zeroWaiters = [];
        for (const wake of waiters) wake();
      }
    };
  }

  /** Holds the clock while `work` is pending (an HTTP call, a handler). */
  async track<T>(work: Promise<T>): Promise<T> {
    const release = this.activity();
    try {
      return await work;
    } finally {
      release();
    }
  }

  /**
   * Resolves when the clock reaches now + `ms`. A sleeper is not active: in 'auto' mode the
   * clock jumps to it once nothing else is working. Aborting rejects with the signal's reason
   * and removes the timer. A zero or negative duration resolves at once.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        this.changed();
        reject(abortReason(signal));
      };
      const timer: Timer = {
        due: this.clock.now().getTime() + ms,
        seq: (this.seq += 1),
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.changed();
      this.drive();
    });
  }

  /**
   * Moves the clock forward by `ms`, waking due timers in order and letting the system settle
   * after each; resolves once everything is idle at the target time. Works in both modes
   * (in 'auto' the automatic advance pauses meanwhile); calls queue behind each other.
   */
  advance(ms: number): Promise<void> {
    if (!(ms >= 0)) return Promise.reject(new RangeError(`advance needs ms >= 0; got ${ms}`));
    const run = this.advancing.then(() => this.advanceNow(ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves when nothing is working and, in 'auto' mode, no timer is pending (in 'manual'
   * mode pending timers wait for `advance`). Never resolves while a participant keeps
   * scheduling timers in 'auto' mode; stop it first.
   */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await this.quiet();
      if (this.modeValue === 'manual' || this.timers.length === 0) return;
      await turn();
    }
  }

  private async advanceNow(ms: number): Promise<void> {
    this.advanceDepth += 1;
    try {
      await this.quiet();
      const target = this.clock.now().getTime() + ms;
      for (;;) {
        const next = this.earliest();
        if (!next || next.due > target) break;
        this.fire(next);
        await this.quiet();
      }
      this.clock.advanceTo(new Date(target));
      await this.quiet();
    } finally {
      this.advanceDepth -= 1;
      this.drive();
    }
  }

  /** The automatic advance: one timer at a time, each only once the system is quiet. */
  private drive(): void {
    if (this.driving) return;
    this.driving = true;
    const loop = async (): Promise<void> => {
      while (this.canDrive()) {
        await this.quiet();
        const next = this.earliest();
        if (!this.canDrive() || !next) break;
        this.fire(next);
      }
    };
    void loop().finally(() => {
      this.driving = false;
      // A timer or a mode switch may have arrived just as the loop decided to stop.
      if (this.canDrive()) this.drive();
    });
  }

  private canDrive(): boolean {
    return this.modeValue === 'auto' && this.advanceDepth === 0 && this.timers.length > 0;
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    this.clock.advanceTo(new Date(timer.due));
    this.changed();
    timer.wake();
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private changed(): void {
    this.epoch += 1;
  }

  /**
   * Resolves once nothing is held and nothing changed across two macrotask turns: promise
   * chains woken by a timer have then either finished, started tracked work or slept again.
   */
  private async quiet(): Promise<void> {
    for (;;) {
      while (this.holds > 0) {
        await new Promise<void>((resolve) => this.zeroWaiters.push(resolve));
      }
      const epoch = this.epoch;
      await turn();
      await turn();
      if (this.holds === 0 && this.epoch === epoch) return;
    }
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('The sleep was aborted', 'AbortError');
}
