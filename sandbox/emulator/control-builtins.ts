/** The emulator's own control routes: faults, recorded events and calls, reset, info, root keys. */
import type { FaultRule } from '../contracts';
import type { Emulator } from './emulator';
import type { SeedRootAccessKey } from './seed';

const ROOT_KEY_BODY =
  'POST /_sandbox/root-access-keys takes {"status"?: "Active" | "Inactive", "createDate"?: ' +
  '"<ISO 8601>", "lastUsed"?: {"date": "<ISO 8601>", "service": "s3", "region": "us-east-1"}}';

function isoDate(value: unknown, field: string): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()))
    throw new Error(
      `${ROOT_KEY_BODY}; "${field}" is not an ISO 8601 date: ${JSON.stringify(value)}`,
    );
  return date;
}

/** The body of POST /_sandbox/root-access-keys, checked field by field. */
export function rootAccessKeyInput(body: unknown): SeedRootAccessKey {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error(`${ROOT_KEY_BODY}; got ${JSON.stringify(body)}`);
  const { status, createDate, lastUsed, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new Error(`${ROOT_KEY_BODY}; unknown field(s): ${unknown.join(', ')}`);
  if (status !== undefined && status !== 'Active' && status !== 'Inactive')
    throw new Error(`${ROOT_KEY_BODY}; "status" is ${JSON.stringify(status)}`);
  let used: SeedRootAccessKey['lastUsed'];
  if (lastUsed !== undefined) {
    const u = (typeof lastUsed === 'object' && lastUsed !== null ? lastUsed : {}) as Record<
      string,
      unknown
    >;
    if (typeof u.service !== 'string' || typeof u.region !== 'string')
      throw new Error(`${ROOT_KEY_BODY}; "lastUsed" needs a date, a service and a region`);
    used = { date: isoDate(u.date, 'lastUsed.date'), service: u.service, region: u.region };
  }
  return {
    status,
    createDate: createDate === undefined ? undefined : isoDate(createDate, 'createDate'),
    lastUsed: used,
  };
}

export function addBuiltInRoutes(emulator: Emulator): void {
  emulator.addControlRoute('POST', '/_sandbox/faults', (body) => ({
    id: emulator.faults.add(body as FaultRule),
  }));
  emulator.addControlRoute('DELETE', '/_sandbox/faults', () => emulator.faults.clear());
  emulator.addControlRoute('GET', '/_sandbox/faults', () => emulator.faults.list());
  emulator.addControlRoute('GET', '/_sandbox/events', () => emulator.events);
  emulator.addControlRoute('GET', '/_sandbox/notifications', () => emulator.notifications);
  emulator.addControlRoute('GET', '/_sandbox/calls', () => emulator.calls);
  emulator.addControlRoute('POST', '/_sandbox/reset', () => emulator.reset());
  emulator.addControlRoute('GET', '/_sandbox/info', () => ({
    endpoint: emulator.endpoint,
    region: emulator.region,
    accountId: emulator.accountId,
    now: emulator.now().toISOString(),
  }));
  // The root user's access keys: only here (or seed.rootAccessKey), since on AWS only the root
  // user manages them and the sandbox has no root user to sign in as.
  emulator.addControlRoute('POST', '/_sandbox/root-access-keys', (body) =>
    emulator.seed.rootAccessKey(rootAccessKeyInput(body)),
  );
  emulator.addControlRoute(
    'GET',
    '/_sandbox/root-access-keys',
    () => emulator.state.rootAccessKeys,
  );
}
