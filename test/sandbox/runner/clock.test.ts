import { followRealTime } from '../../../sandbox/real-time';
import { SandboxClock, Scheduler } from '../../../sandbox/clock';

const START = new Date('2030-01-01T00:00:00.000Z');
const DAY = 86_400_000;

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('SandboxClock', () => {
  it('stands still until moved and never goes backwards', () => {
    const clock = new SandboxClock({ start: START });

    expect(clock.now()).toEqual(START);
    clock.advanceBy(1500);
    clock.advanceTo(new Date(START.getTime() - DAY));

    expect(clock.now()).toEqual(new Date(START.getTime() + 1500));
    expect(() => clock.advanceBy(-1)).toThrow(RangeError);
  });

  it('starts at the real time by default', () => {
    const before = Date.now();
    const clock = new SandboxClock();

    expect(clock.now().getTime()).toBeGreaterThanOrEqual(before);
    expect(clock.now().getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('Scheduler in auto mode', () => {
  it('jumps to each timer in due order, so days of waiting take milliseconds', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock);
    const woke: [string, number][] = [];
    const sleeper = (name: string, ms: number) =>
      scheduler.sleep(ms).then(() => woke.push([name, clock.now().getTime() - START.getTime()]));
    const realStart = Date.now();

    await Promise.all([sleeper('week', 7 * DAY), sleeper('day', DAY), sleeper('hour', 3_600_000)]);

    expect(woke).toEqual([
      ['hour', 3_600_000],
      ['day', DAY],
      ['week', 7 * DAY],
    ]);
    expect(Date.now() - realStart).toBeLessThan(1000);
  });

  it('wakes timers due at the same instant in registration order', async () => {
    const scheduler = new Scheduler(new SandboxClock({ start: START }));
    const woke: string[] = [];

    await Promise.all(
      ['first', 'second', 'third'].map((name) =>
        scheduler.sleep(60_000).then(() => woke.push(name)),
      ),
    );

    expect(woke).toEqual(['first', 'second', 'third']);
  });

  it('does not move the clock while work is in progress', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock);
    let wokeAt: Date | undefined;
    const release = scheduler.activity();
    const sleeping = scheduler.sleep(DAY).then(() => (wokeAt = clock.now()));

    for (let i = 0; i < 5; i += 1) await turn();
    expect(wokeAt).toBeUndefined();
    expect(clock.now()).toEqual(START);

    release();
    await sleeping;
    expect(wokeAt).toEqual(new Date(START.getTime() + DAY));
  });

  it('keeps the clock still while tracked work runs through real time', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock);
    const order: string[] = [];
    const slow = new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() =>
      order.push(`work done at +${clock.now().getTime() - START.getTime()}`),
    );
    void scheduler.track(slow);

    await scheduler.sleep(1000).then(() => order.push('timer'));

    expect(order).toEqual(['work done at +0', 'timer']);
  });

  it('removes an aborted sleep, which then rejects', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock, { mode: 'manual' });
    const controller = new AbortController();
    const sleeping = scheduler.sleep(DAY, controller.signal);
    expect(scheduler.pendingTimers).toBe(1);

    controller.abort();

    await expect(sleeping).rejects.toThrow();
    expect(scheduler.pendingTimers).toBe(0);
    scheduler.setMode('auto');
    await scheduler.runUntilIdle();
    expect(clock.now()).toEqual(START);
  });

  it('runUntilIdle waits for every timer, including ones scheduled by woken sleepers', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock);
    const chain = async (): Promise<void> => {
      for (let i = 0; i < 3; i += 1) await scheduler.sleep(DAY);
    };
    void chain();

    await scheduler.runUntilIdle();

    expect(clock.now()).toEqual(new Date(START.getTime() + 3 * DAY));
    expect(scheduler.pendingTimers).toBe(0);
  });
});

describe('Scheduler in manual mode', () => {
  it('moves time only through advance, waking due timers in order and no others', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock, { mode: 'manual' });
    const woke: [string, number][] = [];
    for (const [name, ms] of [
      ['two days', 2 * DAY],
      ['one day', DAY],
      ['one hour', 3_600_000],
    ] as const) {
      void scheduler
        .sleep(ms)
        .then(() => woke.push([name, clock.now().getTime() - START.getTime()]));
    }

    await scheduler.runUntilIdle();
    expect(woke).toEqual([]);
    expect(clock.now()).toEqual(START);

    await scheduler.advance(DAY + 1);

    expect(woke).toEqual([
      ['one hour', 3_600_000],
      ['one day', DAY],
    ]);
    expect(clock.now()).toEqual(new Date(START.getTime() + DAY + 1));
    expect(scheduler.pendingTimers).toBe(1);
    expect(scheduler.nextTimer()).toEqual(new Date(START.getTime() + 2 * DAY));
  });

  it('lets a woken sleeper act (and sleep again) before later timers wake', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock, { mode: 'manual' });
    const log: string[] = [];
    void (async () => {
      await scheduler.sleep(1000);
      log.push('a1');
      await scheduler.sleep(1000);
      log.push('a2');
    })();
    void scheduler.sleep(1500).then(() => log.push('b'));

    await scheduler.advance(5000);

    expect(log).toEqual(['a1', 'b', 'a2']);
  });

  it('switches to auto and then drains the pending timers', async () => {
    const clock = new SandboxClock({ start: START });
    const scheduler = new Scheduler(clock, { mode: 'manual' });
    const sleeping = scheduler.sleep(DAY);

    scheduler.setMode('auto');
    await sleeping;

    expect(scheduler.mode).toBe('auto');
    expect(clock.now()).toEqual(new Date(START.getTime() + DAY));
  });

  it('rejects a negative advance', async () => {
    const scheduler = new Scheduler(new SandboxClock({ start: START }), { mode: 'manual' });

    await expect(scheduler.advance(-1)).rejects.toThrow(RangeError);
  });
});

describe('following real time (rekey sandbox)', () => {
  it('moves an auto clock at least as fast as real time between waits, firing timers due meanwhile', async () => {
    const clock = new SandboxClock({ start: new Date('2030-01-01T00:00:00Z') });
    const scheduler = new Scheduler(clock, { mode: 'auto' });
    let fired = false;
    const stop = followRealTime(scheduler, 10);
    const realStart = Date.now();
    const sandboxStart = clock.now().getTime();
    // The auto clock jumps to this timer at once; after that nothing waits, and only following
    // real time moves the clock on (without it the clock would stop 50 ms in).
    await scheduler.sleep(50).then(() => (fired = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    await scheduler.advance(0);
    const real = Date.now() - realStart;
    const sandbox = clock.now().getTime() - sandboxStart;

    expect(fired).toBe(true);
    // Up to one tick (and the advance under way when it stopped) may be missing at the end.
    expect(sandbox).toBeGreaterThanOrEqual(real - 100);
  });

  it('leaves a manual clock alone', async () => {
    const clock = new SandboxClock({ start: new Date('2030-01-01T00:00:00Z') });
    const scheduler = new Scheduler(clock, { mode: 'manual' });
    const stop = followRealTime(scheduler, 10);
    await new Promise((resolve) => setTimeout(resolve, 60));
    stop();

    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });
});
