/**
 * The time that decides whether the cache is fresh: the service's. On AWS that is this
 * machine's clock. A rekey sandbox runs its own clock (days pass in seconds) and tells it at
 * GET /_sandbox/info, as the rekey CLI reads it; it only ever listens on loopback, so only a
 * plain-http loopback endpoint is asked, and only briefly. Anything else: this machine's clock.
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const TIMEOUT_MS = 500;

export async function serviceTime(endpoint: string | undefined): Promise<Date> {
  const url = sandboxInfoUrl(endpoint);
  if (!url) return new Date();
  // node:http, loaded only here: fetch() would load undici, tens of milliseconds at start-up.
  const { get } = await import('node:http');
  return new Promise<Date>((resolve) => {
    const request = get(url, { agent: false, timeout: TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(parseNow(response.statusCode, body)));
      response.on('error', () => resolve(new Date()));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(new Date()));
  });
}

function sandboxInfoUrl(endpoint: string | undefined): URL | undefined {
  if (!endpoint) return undefined;
  try {
    const url = new URL('/_sandbox/info', endpoint);
    return url.protocol === 'http:' && LOOPBACK.has(url.hostname) ? url : undefined;
  } catch {
    return undefined;
  }
}

function parseNow(status: number | undefined, body: string): Date {
  if (status !== 200) return new Date();
  try {
    const info = JSON.parse(body) as { now?: unknown };
    const ms = typeof info.now === 'string' ? Date.parse(info.now) : NaN;
    return Number.isNaN(ms) ? new Date() : new Date(ms);
  } catch {
    return new Date();
  }
}
