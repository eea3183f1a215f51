import { deployedSettings } from '../../cli/settings';
import { DEFAULT_POLICY } from '../../lambdas/shared/policy';

/** A RotationPolicy output as stacks wrote it before the settings were strict: no maxKeyAgeDays. */
const deployed: Record<string, unknown> = { ...DEFAULT_POLICY };
delete deployed.maxKeyAgeDays;
const OUTPUT = JSON.stringify({
  policy: { ...deployed, rotateAfterDays: 60 },
  selection: { mode: 'opt-in', minRotateAfterDays: 30 },
  managedPath: '/apps/',
});

describe("rekey report's reading of the deployed policy", () => {
  it('reads the output of a stack an earlier rekey deployed, with the 90-day threshold', () => {
    expect(deployedSettings(OUTPUT, 'Rekey')).toEqual({
      policy: { ...DEFAULT_POLICY, rotateAfterDays: 60 },
      selection: { mode: 'opt-in', minRotateAfterDays: 30 },
      managedPath: '/apps/',
      source: 'stack Rekey',
    });
  });

  it('takes --max-age as the threshold', () => {
    expect(deployedSettings(OUTPUT, 'Rekey', 45).policy.maxKeyAgeDays).toBe(45);
  });

  it('says what is wrong with an output it cannot use, and how to fix it', () => {
    const output = JSON.stringify({ policy: { rotateAfterDays: 60 }, selection: {} });

    expect(() => deployedSettings(output, 'Rekey')).toThrow(
      "stack Rekey's RotationPolicy output cannot be read (REKEY_POLICY must hold exactly",
    );
    expect(() => deployedSettings(output, 'Rekey')).toThrow('redeploy it with this rekey');
  });
});
