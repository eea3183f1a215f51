/**
 * Sandbox time for a sandbox people use by hand (`rekey sandbox`). The 'auto' clock jumps to the
 * next timer when everything waits, but stands still while nothing waits, so a key created with
 * the AWS CLI would never get past the emulated propagation delay and last-used dates would never
 * move. Following real time closes that gap: every tick, sandbox time moves forward by the real
 * time that passed (firing the timers due in between), so between waits it runs at least as fast
 * as real time, and the jumps still make waits of days pass in moments.
 */
import type { Scheduler } from './clock';

/** Starts following real time; call the returned function to stop. */
export function followRealTime(scheduler: Scheduler, tickMs = 1000): () => void {
  let last = Date.now();
  let moving = false;
  const timer = setInterval(() => {
    if (moving || scheduler.mode !== 'auto') {
      if (scheduler.mode !== 'auto') last = Date.now();
      return;
    }
    moving = true;
    const now = Date.now();
    const elapsed = now - last;
    last = now;
    scheduler.advance(elapsed).then(
      () => (moving = false),
      () => (moving = false),
    );
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
