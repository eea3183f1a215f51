/** What the emergency rotation's end-to-end tests share. */
import { SimulatedConsumer } from '../../sandbox/apps/consumer';
import type { ExecutionRecord } from '../../sandbox/contracts';
import type { Sandbox } from '../../sandbox/sandbox';
import { advanceUntil, MINUTE, type SeededUser } from './helpers';

export const emergencyOf = (userName: string, accessKeyId: string) => ({
  userName,
  emergency: { accessKeyId, reason: 'found in a public repository' },
});

export async function runToEnd(sandbox: Sandbox, arn: string): Promise<ExecutionRecord> {
  await advanceUntil(sandbox, () => sandbox.execution(arn).status !== 'RUNNING', {
    stepMs: MINUTE,
  });
  return sandbox.execution(arn);
}

/** When a state was last exited, in sandbox time. */
export function exitedAt(execution: ExecutionRecord, state: string): number {
  const event = [...execution.events]
    .reverse()
    .find((e) => e.stateExitedEventDetails?.name === state);
  if (!event) throw new Error(`${execution.name} never left ${state}`);
  return new Date(event.timestamp ?? 0).getTime();
}

/** An application whose only identity is the key it holds: it reads its secret with that key. */
export function keyOnlyApp(
  sandbox: Sandbox,
  user: SeededUser,
  periodMinutes: number,
): SimulatedConsumer {
  const app = new SimulatedConsumer({
    name: `${user.userName}-key-only`,
    behaviour: 'prompt',
    secretId: `${sandbox.secretPrefix}${user.userName}`,
    initialKey: user.oldKey,
    endpoint: sandbox.endpoint,
    region: sandbox.region,
    clock: sandbox.clock,
    scheduler: sandbox.scheduler,
    periodSeconds: periodMinutes * 60,
    cacheSeconds: 60,
  });
  return app;
}
