/** Exit codes of `rekey credentials` (the same meanings as the rest of the rekey CLI). */
export const EXIT = {
  ok: 0,
  /** The secret cannot give credentials: not found, only the baseline, not a rekey secret. */
  failed: 1,
  usage: 2,
  /** No bootstrap credentials or region, access denied, keys rejected, AWS unreachable. */
  setup: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure explained in one line on stderr, ending the process with `exitCode`. */
export class ProcessError extends Error {
  public constructor(
    message: string,
    public readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ProcessError';
  }
}
