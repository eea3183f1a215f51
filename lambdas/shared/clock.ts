/**
 * Every core takes its clock as an argument. Handlers use `clock`, which follows the system
 * time in AWS and the sandbox's controllable time when the sandbox installs one with `useClock`.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

let current: Clock = systemClock;

/** The clock handlers use. Delegates, so modules may capture it at load time. */
export const clock: Clock = { now: () => current.now() };

/** Installs the time source for every handler in this process (the sandbox does this). */
export function useClock(next: Clock): void {
  current = next;
}
