/** The emulator's own control routes: faults, recorded events and calls, reset, info. */
import type { FaultRule } from '../contracts';
import type { Emulator } from './emulator';

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
}
