import { duration, shortenKeys, when, type Paint } from './format';
import type { Step } from './history';
import type { Output } from './output';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Choices and passes are plumbing; people want the steps that do or wait for something. */
const HIDDEN = new Set(['Choice', 'Pass']);

export const isShown = (step: Step): boolean => !HIDDEN.has(step.type);

/** The longest name of a state shown: DeactivateExposedKey (an emergency's). */
const NAME_WIDTH = 20;

function retries(step: Step): string {
  if (step.attemptsFailed === 0 || step.status === 'failed') return '';
  const n = step.attemptsFailed;
  return ` (${n} retr${n === 1 ? 'y' : 'ies'}: ${step.lastError ?? 'error'})`;
}

/** One finished step: when it started, status, name, how long, what it did. */
export function stepLine(step: Step, p: Paint, symbols: boolean): string {
  const mark = {
    succeeded: symbols ? p.green('✔') : 'ok  ',
    failed: symbols ? p.red('✘') : 'FAIL',
    aborted: symbols ? p.yellow('■') : 'STOP',
    running: symbols ? '…' : '... ',
  }[step.status];
  const took =
    step.exitedAt === undefined ? '' : duration(step.exitedAt.getTime() - step.enteredAt.getTime());
  const what =
    step.status === 'failed'
      ? p.red(step.lastError ?? '')
      : shortenKeys(`${step.detail ?? ''}${retries(step)}`);
  return `  ${p.dim(when(step.enteredAt).slice(0, 16))}  ${mark} ${step.name.padEnd(NAME_WIDTH)} ${took.padStart(7)}  ${what}`.trimEnd();
}

/** JSON view of a step, for `--output json`. */
export function stepJson(step: Step): Record<string, unknown> {
  return {
    name: step.name,
    type: step.type,
    status: step.status,
    enteredAt: step.enteredAt.toISOString(),
    exitedAt: step.exitedAt?.toISOString(),
    durationMs: step.exitedAt ? step.exitedAt.getTime() - step.enteredAt.getTime() : undefined,
    failedAttempts: step.attemptsFailed,
    lastError: step.lastError,
    waitUntil: step.waitUntil?.toISOString(),
    detail: step.detail,
  };
}

/**
 * Prints steps as they finish. On a terminal the running step has a spinner line that is
 * redrawn in place; piped, only finished steps are printed, one plain line each.
 */
export class StepPrinter {
  private printed = 0;
  private current?: { step: Step; seenAt: number };
  private frame = 0;
  private spinning = false;

  constructor(private readonly out: Output) {}

  update(steps: readonly Step[]): void {
    this.clear();
    for (; this.printed < steps.length; this.printed++) {
      const step = steps[this.printed];
      if (!step || step.status === 'running') break;
      if (isShown(step)) this.out.line(stepLine(step, this.out.paint, this.out.tty));
    }
    const running = steps[this.printed];
    if (running && running.status === 'running' && isShown(running)) {
      const same =
        this.current?.step.name === running.name &&
        this.current.step.enteredAt.getTime() === running.enteredAt.getTime();
      this.current = {
        step: running,
        seenAt: same && this.current ? this.current.seenAt : Date.now(),
      };
    } else {
      this.current = undefined;
    }
    this.tick();
  }

  tick(): void {
    if (!this.out.tty || !this.current) return;
    const { step, seenAt } = this.current;
    const p = this.out.paint;
    const frame = FRAMES[this.frame++ % FRAMES.length] ?? '-';
    const status = step.waitUntil
      ? `waiting until ${when(step.waitUntil)}`
      : `running ${duration(Date.now() - seenAt)}${step.attemptsFailed ? ` (${step.attemptsFailed} failed attempt(s): ${step.lastError ?? ''})` : ''}`;
    this.out.write(
      `\r\u001b[2K  ${p.cyan(frame)} ${step.name.padEnd(NAME_WIDTH)} ${p.dim(status)}`,
    );
    this.spinning = true;
  }

  /** Removes the spinner line (before printing anything else). */
  clear(): void {
    if (this.spinning) this.out.write('\r\u001b[2K');
    this.spinning = false;
  }
}
