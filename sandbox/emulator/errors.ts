/**
 * One error type for every service: the protocol layer turns it into the service's envelope
 * (query XML, JSON `__type`), so handlers only say what went wrong and with which status.
 */
export class ServiceError extends Error {
  constructor(
    /** The code as it appears on the wire (`NoSuchEntity`, `ResourceNotFoundException`). */
    readonly code: string,
    message: string,
    readonly status: number = 400,
    /**
     * Errors raised by the AWS front end rather than the service model (authentication,
     * throttling, unknown operation). Step Functions namespaces them differently.
     */
    readonly common: boolean = false,
  ) {
    super(message);
    this.name = code;
  }
}

/** Type guard for values read from untyped input. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
