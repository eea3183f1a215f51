import { ENV, loadConfig, POLICY_KEYS } from '../../../lambdas/shared/config';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import { KMS_KEY_ARN, STATE_MACHINE, TOPIC_ARN } from '../helpers';

/** What the construct writes for the default policy: every key, no other. */
const DEPLOYED: Record<string, unknown> = { ...DEFAULT_POLICY };
delete DEPLOYED.maxKeyAgeDays;
const POLICY = JSON.stringify(DEPLOYED);
const SELECTION = JSON.stringify({ mode: 'opt-out', minRotateAfterDays: 80 });
const REQUIRED = { [ENV.policy]: POLICY, [ENV.selection]: SELECTION };

const policyWith = (changes: Record<string, unknown>): string =>
  JSON.stringify({ ...DEPLOYED, ...changes });

describe('loadConfig', () => {
  it('uses the documented defaults for every variable the construct may leave unset', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      secretPrefix: 'rekey/',
      managedPath: '/',
      kmsKeyArn: undefined,
      eventBusName: 'default',
      topicArn: undefined,
      policy: DEFAULT_POLICY,
      selection: { mode: 'opt-out', minRotateAfterDays: 80 },
      rotationStateMachineArn: undefined,
      fleet: { maxConcurrentRotations: 100, exemptionWarningDays: 14 },
      consumerAccess: 'self',
      // Off for a function the construct did not give REKEY_ATTRIBUTION (and LookupEvents).
      attribution: { enabled: false, regions: [], maxPages: 0 },
      emergency: { recoveryWindowSeconds: 86_400, graceSeconds: 0 },
    });
  });

  it('reads every variable the construct sets', () => {
    const config = loadConfig({
      REKEY_SECRET_PREFIX: 'platform/rekey/',
      REKEY_MANAGED_PATH: '/service-accounts/',
      REKEY_KMS_KEY_ARN: KMS_KEY_ARN,
      REKEY_EVENT_BUS_NAME: 'ops',
      REKEY_TOPIC_ARN: TOPIC_ARN,
      REKEY_POLICY: policyWith({ rotateAfterDays: 60, deadlineAction: 'enforce' }),
      REKEY_SELECTION: JSON.stringify({ mode: 'opt-in', minRotateAfterDays: 30 }),
      REKEY_ROTATION_STATE_MACHINE_ARN: STATE_MACHINE,
      REKEY_FLEET: JSON.stringify({ maxConcurrentRotations: 25, exemptionWarningDays: 30 }),
      REKEY_CONSUMER_ACCESS: 'none',
      REKEY_ATTRIBUTION: JSON.stringify({ regions: ['eu-west-1'] }),
      REKEY_EMERGENCY: JSON.stringify({ recoveryWindowSeconds: 3600, graceSeconds: 300 }),
    });

    expect(config).toEqual({
      secretPrefix: 'platform/rekey/',
      managedPath: '/service-accounts/',
      kmsKeyArn: KMS_KEY_ARN,
      eventBusName: 'ops',
      topicArn: TOPIC_ARN,
      policy: { ...DEFAULT_POLICY, rotateAfterDays: 60, deadlineAction: 'enforce' },
      selection: { mode: 'opt-in', minRotateAfterDays: 30 },
      rotationStateMachineArn: STATE_MACHINE,
      fleet: { maxConcurrentRotations: 25, exemptionWarningDays: 30 },
      consumerAccess: 'none',
      attribution: { enabled: true, regions: ['eu-west-1'], maxPages: 10 },
      emergency: { recoveryWindowSeconds: 3600, graceSeconds: 300 },
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ ...REQUIRED, REKEY_SECRET_PREFIX: '', REKEY_TOPIC_ARN: '' });

    expect(config.secretPrefix).toBe('rekey/');
    expect(config.topicArn).toBeUndefined();
  });

  it('names the policy settings from the type, in the order of the defaults', () => {
    // The compliance threshold is no setting: the functions add it, and stacks deployed by an
    // earlier rekey wrote exactly these keys.
    expect(POLICY_KEYS).toEqual([
      'rotateAfterDays',
      'cutoverDeadlineSeconds',
      'deadlineAction',
      'pollInitialSeconds',
      'pollMaxSeconds',
      'recoveryWindowSeconds',
      'lastUsedLagSeconds',
      'inactiveKeyAction',
    ]);
  });

  it.each([
    [
      'a renamed setting: unknown, and the one it replaced missing',
      (() => {
        const { rotateAfterDays, ...rest } = DEPLOYED;
        return JSON.stringify({ ...rest, rotateAfterDayz: rotateAfterDays });
      })(),
      'unknown rotateAfterDayz and missing rotateAfterDays',
    ],
    [
      'a setting left out',
      JSON.stringify({ ...DEPLOYED, recoveryWindowSeconds: undefined }),
      'missing recoveryWindowSeconds',
    ],
    [
      'a partial policy',
      '{"rotateAfterDays":45}',
      'missing cutoverDeadlineSeconds, deadlineAction',
    ],
    [
      'the compliance threshold, which is no setting',
      JSON.stringify(DEFAULT_POLICY),
      'unknown maxKeyAgeDays',
    ],
  ])('refuses %s instead of running with a default', (_, policy, problem) => {
    expect(() => loadConfig({ ...REQUIRED, [ENV.policy]: policy })).toThrow(problem);
    expect(() => loadConfig({ ...REQUIRED, [ENV.policy]: policy })).toThrow(
      'The KeyRotation construct writes them all: deploy the stack again with one rekey version.',
    );
  });

  it.each([ENV.policy, ENV.selection])('refuses to start without %s', (name) => {
    const env: Record<string, string> = { ...REQUIRED };
    delete env[name];

    expect(() => loadConfig(env)).toThrow(
      new Error(
        `Environment variable ${name} is not set: the KeyRotation construct sets it on every ` +
          'function. Deploy the stack again.',
      ),
    );
  });

  it('refuses a selection or fleet setting it does not know', () => {
    expect(() =>
      loadConfig({
        ...REQUIRED,
        [ENV.selection]: '{"mode":"opt-in","minRotateAfterDays":30,"tag":"x"}',
      }),
    ).toThrow('REKEY_SELECTION must hold exactly mode, minRotateAfterDays; it has unknown tag.');
    expect(() => loadConfig({ ...REQUIRED, [ENV.fleet]: '{"exemptionWarningDays":0}' })).toThrow(
      'REKEY_FLEET must hold exactly maxConcurrentRotations, exemptionWarningDays; it has missing maxConcurrentRotations.',
    );
  });

  it.each([
    [
      ENV.policy,
      '{rotateAfterDays: 80}',
      'Environment variable REKEY_POLICY must be a JSON object; got {rotateAfterDays: 80}',
    ],
    [ENV.policy, '[80]', 'Environment variable REKEY_POLICY must be a JSON object; got [80]'],
    [ENV.policy, 'null', 'Environment variable REKEY_POLICY must be a JSON object; got null'],
    [
      ENV.selection,
      '"opt-in"',
      'Environment variable REKEY_SELECTION must be a JSON object; got "opt-in"',
    ],
    [
      ENV.policy,
      policyWith({ rotateAfterDays: '80' }),
      'REKEY_POLICY.rotateAfterDays must be a number; got 80',
    ],
    [
      ENV.policy,
      policyWith({ pollMaxSeconds: null }),
      'REKEY_POLICY.pollMaxSeconds must be a number; got null',
    ],
    [
      ENV.policy,
      policyWith({ deadlineAction: 'abort' }),
      'REKEY_POLICY.deadlineAction must be fail or enforce',
    ],
    [
      ENV.policy,
      policyWith({ inactiveKeyAction: 'keep' }),
      'REKEY_POLICY.inactiveKeyAction must be delete or refuse',
    ],
    [
      ENV.selection,
      '{"mode":"all","minRotateAfterDays":80}',
      'REKEY_SELECTION.mode must be opt-out or opt-in',
    ],
    [
      ENV.selection,
      '{"mode":"opt-in","minRotateAfterDays":"30"}',
      'REKEY_SELECTION.minRotateAfterDays must be a number; got 30',
    ],
    [ENV.fleet, '[100]', 'Environment variable REKEY_FLEET must be a JSON object; got [100]'],
    [
      ENV.fleet,
      '{"maxConcurrentRotations":"100","exemptionWarningDays":14}',
      'REKEY_FLEET.maxConcurrentRotations must be a whole number of at least 0; got "100"',
    ],
    [
      ENV.fleet,
      '{"maxConcurrentRotations":2.5,"exemptionWarningDays":14}',
      'REKEY_FLEET.maxConcurrentRotations must be a whole number of at least 0; got 2.5',
    ],
    [
      ENV.fleet,
      '{"maxConcurrentRotations":100,"exemptionWarningDays":-1}',
      'REKEY_FLEET.exemptionWarningDays must be a whole number of at least 0; got -1',
    ],
  ])('fails the cold start with a clear error for %s=%s', (name, value, message) => {
    expect(() => loadConfig({ ...REQUIRED, [name]: value })).toThrow(new Error(message));
  });
});

it('refuses a consumer access it does not know, naming the variable', () => {
  expect(() => loadConfig({ ...REQUIRED, REKEY_CONSUMER_ACCESS: 'everyone' })).toThrow(
    'REKEY_CONSUMER_ACCESS must be self or none; got everyone',
  );
});

it.each([
  ['{"regions":"eu-west-1"}', /REKEY_ATTRIBUTION\.regions must be a list of AWS regions/],
  ['{"regions":["Europe"]}', /REKEY_ATTRIBUTION\.regions must be a list of AWS regions/],
  ['[1]', /REKEY_ATTRIBUTION must be a JSON object/],
  [
    '{"regions":[],"maxPages":4}',
    /REKEY_ATTRIBUTION must hold exactly regions; it has unknown maxPages\./,
  ],
  ['{}', /REKEY_ATTRIBUTION must hold exactly regions; it has missing regions\./],
  [
    '{"regions":[],"enabled":false}',
    /REKEY_ATTRIBUTION must hold exactly regions; it has unknown enabled/,
  ],
])('refuses attribution settings %s, naming the variable', (raw, message) => {
  expect(() => loadConfig({ ...REQUIRED, [ENV.attribution]: raw })).toThrow(message);
});
