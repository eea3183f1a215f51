/**
 * JSON control routes under /_sandbox/ for tests, demos and the runner. They need no
 * signature: the server listens on loopback only.
 */
/** Returns the JSON answer, or a promise of it. */
export type ControlHandler = (body: unknown) => unknown;

export interface ControlResponse {
  readonly status: number;
  readonly body: string;
}

export const CONTROL_PREFIX = '/_sandbox/';

export class ControlRoutes {
  private readonly routes = new Map<string, ControlHandler>();

  add(method: string, path: string, handler: ControlHandler): void {
    if (!path.startsWith(CONTROL_PREFIX)) {
      throw new Error(`Control routes live under ${CONTROL_PREFIX}; got ${path}`);
    }
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  async handle(method: string, path: string, rawBody: string): Promise<ControlResponse> {
    const handler = this.routes.get(`${method.toUpperCase()} ${path}`);
    if (!handler)
      return { status: 404, body: JSON.stringify({ error: `No route ${method} ${path}` }) };
    let body: unknown;
    try {
      body = rawBody.trim() === '' ? undefined : JSON.parse(rawBody);
    } catch {
      return { status: 400, body: JSON.stringify({ error: 'The body is not JSON' }) };
    }
    try {
      const result = await handler(body);
      return { status: 200, body: JSON.stringify(result ?? {}) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: 400, body: JSON.stringify({ error: message }) };
    }
  }
}
