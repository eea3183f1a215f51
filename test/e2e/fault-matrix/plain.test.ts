import { rotate, seedUser } from '../helpers';
import { faultMatrix, OPERATIONS, plain } from './harness';

/** Calls the test makes itself, not the workflow. */
const OWN_CALLS = new Set(['states:CreateStateMachine', 'states:StartExecution']);

const sandbox = faultMatrix(plain);

it('lists every AWS call a clean rotation and its re-run make', async () => {
  const sb = sandbox();
  sb.emulator.reset();
  seedUser(sb, 'fm-clean');
  const first = await rotate(sb, { userName: 'fm-clean' });
  const rerun = await rotate(sb, { userName: 'fm-clean' });

  expect([first.status, rerun.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const called = new Set(
    sb.emulator.calls.map((c) => `${c.service}:${c.operation}`).filter((op) => !OWN_CALLS.has(op)),
  );
  expect([...called].sort()).toEqual([...OPERATIONS].sort());
});
