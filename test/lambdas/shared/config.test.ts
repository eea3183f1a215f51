import { ENV, loadConfig } from '../../../lambdas/shared/config';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import { KMS_KEY_ARN, STATE_MACHINE, TOPIC_ARN } from '../helpers';

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
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
    });
  });

  it('reads every variable the construct sets', () => {
    const config = loadConfig({
      REKEY_SECRET_PREFIX: 'platform/rekey/',
      REKEY_MANAGED_PATH: '/service-accounts/',
      REKEY_KMS_KEY_ARN: KMS_KEY_ARN,
      REKEY_EVENT_BUS_NAME: 'ops',
      REKEY_TOPIC_ARN: TOPIC_ARN,
      REKEY_POLICY: JSON.stringify({ rotateAfterDays: 60, deadlineAction: 'enforce' }),
      REKEY_SELECTION: JSON.stringify({ mode: 'opt-in', minRotateAfterDays: 30 }),
      REKEY_ROTATION_STATE_MACHINE_ARN: STATE_MACHINE,
      REKEY_FLEET: JSON.stringify({ maxConcurrentRotations: 25, exemptionWarningDays: 30 }),
      REKEY_CONSUMER_ACCESS: 'none',
      REKEY_ATTRIBUTION: JSON.stringify({ regions: ['eu-west-1'], maxPages: 4 }),
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
      attribution: { enabled: true, regions: ['eu-west-1'], maxPages: 4 },
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ REKEY_SECRET_PREFIX: '', REKEY_TOPIC_ARN: '', REKEY_POLICY: '' });

    expect(config.secretPrefix).toBe('rekey/');
    expect(config.topicArn).toBeUndefined();
    expect(config.policy).toEqual(DEFAULT_POLICY);
  });

  it('takes the smallest tag-settable rotation age from the policy unless the selection sets it', () => {
    expect(
      loadConfig({ REKEY_POLICY: '{"rotateAfterDays":45}' }).selection.minRotateAfterDays,
    ).toBe(45);
  });

  it('keeps the default of a fleet setting the construct leaves out', () => {
    expect(loadConfig({ REKEY_FLEET: '{"exemptionWarningDays":0}' }).fleet).toEqual({
      maxConcurrentRotations: 100,
      exemptionWarningDays: 0,
    });
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
      '{"rotateAfterDays":"80"}',
      'REKEY_POLICY.rotateAfterDays must be a number; got 80',
    ],
    [
      ENV.policy,
      '{"pollMaxSeconds":null}',
      'REKEY_POLICY.pollMaxSeconds must be a number; got null',
    ],
    [
      ENV.policy,
      '{"deadlineAction":"abort"}',
      'REKEY_POLICY.deadlineAction must be fail or enforce',
    ],
    [
      ENV.policy,
      '{"inactiveKeyAction":"keep"}',
      'REKEY_POLICY.inactiveKeyAction must be delete or refuse',
    ],
    [ENV.selection, '{"mode":"all"}', 'REKEY_SELECTION.mode must be opt-out or opt-in'],
    [ENV.fleet, '[100]', 'Environment variable REKEY_FLEET must be a JSON object; got [100]'],
    [
      ENV.fleet,
      '{"maxConcurrentRotations":"100"}',
      'REKEY_FLEET.maxConcurrentRotations must be a whole number of at least 0; got "100"',
    ],
    [
      ENV.fleet,
      '{"maxConcurrentRotations":2.5}',
      'REKEY_FLEET.maxConcurrentRotations must be a whole number of at least 0; got 2.5',
    ],
    [
      ENV.fleet,
      '{"exemptionWarningDays":-1}',
      'REKEY_FLEET.exemptionWarningDays must be a whole number of at least 0; got -1',
    ],
  ])('fails the cold start with a clear error for %s=%s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new Error(message));
  });
});

it('refuses a consumer access it does not know, naming the variable', () => {
  expect(() => loadConfig({ REKEY_CONSUMER_ACCESS: 'everyone' })).toThrow(
    'REKEY_CONSUMER_ACCESS must be self or none; got everyone',
  );
});

it.each([
  ['{"regions":"eu-west-1"}', /REKEY_ATTRIBUTION\.regions must be a list of AWS regions/],
  ['{"regions":["Europe"]}', /REKEY_ATTRIBUTION\.regions must be a list of AWS regions/],
  ['{"maxPages":0}', /REKEY_ATTRIBUTION\.maxPages must be a whole number from 1 to 100; got 0/],
  ['[1]', /REKEY_ATTRIBUTION must be a JSON object/],
])('refuses attribution settings %s, naming the variable', (raw, message) => {
  expect(() => loadConfig({ [ENV.attribution]: raw })).toThrow(message);
});
