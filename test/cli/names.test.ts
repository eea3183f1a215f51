import { rotationExecutionName } from '../../lambdas/shared/fleet';
import { mightBeFor } from '../../cli/find-rotation';
import { executionName } from '../../cli/rotate';

const AT = new Date('2026-11-28T01:47:09.123Z');

describe('executionName', () => {
  it('names a CLI rotation rekey-<user>-<UTC timestamp to the millisecond>', () => {
    expect(executionName('alice', AT)).toBe('rekey-alice-20261128014709123');
    expect(executionName('alice', new Date(AT.getTime() + 1))).not.toBe(executionName('alice', AT));
  });

  it('keeps names within 80 characters and CloudWatch-safe characters, with a hash for odd ones', () => {
    const long = executionName('a'.repeat(128), AT);
    const odd = executionName('ops+ci@example.com', AT);

    expect(long.length).toBeLessThanOrEqual(80);
    expect(odd).toMatch(/^rekey-ops_ci_example_com-[0-9a-f]{8}-20261128014709123$/);
    expect(executionName('ops-ci@example.com', AT)).not.toBe(
      executionName('ops_ci@example.com', AT),
    );
  });
});

describe('mightBeFor', () => {
  const hash = (s: string): string => Buffer.from(s).toString('hex');

  it("keeps the user's own CLI and fleet scan executions", () => {
    expect(mightBeFor(executionName('alice', AT), 'alice')).toBe(true);
    expect(mightBeFor(rotationExecutionName('alice', AT.toISOString(), hash), 'alice')).toBe(true);
    expect(mightBeFor(executionName('ops+ci@x', AT), 'ops+ci@x')).toBe(true);
  });

  it("skips another user's, but keeps names it cannot read (the console's UUIDs)", () => {
    expect(mightBeFor(executionName('bob', AT), 'alice')).toBe(false);
    expect(mightBeFor(rotationExecutionName('bob', AT.toISOString(), hash), 'alice')).toBe(false);
    expect(mightBeFor('0f8e1c2a-5d7b-4c1e-9a3f-2b6d8e0c4a1f', 'alice')).toBe(true);
  });

  it('matches the user part exactly, in any case, and a later scheduled attempt too', () => {
    expect(mightBeFor(executionName('al-ice', AT), 'al')).toBe(false);
    expect(mightBeFor(executionName('alice', AT), 'ALICE')).toBe(true);
    expect(mightBeFor(rotationExecutionName('alice', AT.toISOString(), hash, 3), 'alice')).toBe(
      true,
    );
  });
});
