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

/** Sleeps in a handler: only to pace calls to a rate-limited API, never to wait for a change. */
export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let currentSleep: Sleep = realSleep;

/** The sleep handlers use; delegates, like `clock`. */
export const sleep: Sleep = (ms) => currentSleep(ms);

/** Installs how handlers sleep (the sandbox moves its clock instead of waiting in real time). */
export function useSleep(next: Sleep): void {
  currentSleep = next;
}
