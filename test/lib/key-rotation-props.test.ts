import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { KeyRotation } from '../../lib/key-rotation';
import type { KeyRotationProps } from '../../lib/key-rotation-props';
import { NO_VALIDATION, SKIP_BUNDLING } from './support';

const construct = (
  props: KeyRotationProps,
  stack = new Stack(new App({ context: SKIP_BUNDLING, ...NO_VALIDATION })),
) => new KeyRotation(stack, 'Rotation', props);

describe('KeyRotation prop validation', () => {
  it.each<[string, KeyRotationProps, string]>([
    [
      'a rotateAfter of 0 days',
      { rotateAfter: Duration.days(0) },
      'KeyRotation: rotateAfter must be between 1 and 365 days; got 0 days. For example rotateAfter: Duration.days(80).',
    ],
    [
      'a pollInterval of 10 seconds',
      { pollInterval: Duration.seconds(10) },
      'KeyRotation: pollInterval must be between 1 and 1440 minutes; got 10 seconds. For example pollInterval: Duration.minutes(15).',
    ],
    [
      'a maxPollInterval shorter than pollInterval',
      { pollInterval: Duration.hours(2), maxPollInterval: Duration.hours(1) },
      'KeyRotation: maxPollInterval (3600 s) must not be shorter than pollInterval (7200 s). Raise maxPollInterval or lower pollInterval.',
    ],
    [
      'a managedPath without slashes',
      { managedPath: 'apps' },
      `KeyRotation: managedPath must be an IAM path that starts and ends with "/" (e.g. '/' or '/apps/'); got 'apps'.`,
    ],
    [
      'a secretPrefix with a space',
      { secretPrefix: 'team a/' },
      "KeyRotation: secretPrefix may hold only letters, digits and /_+=.@- (1-256 characters); got 'team a/'. Use e.g. 'rekey/'.",
    ],
    [
      'a cutoverDeadline of 10 minutes',
      { cutoverDeadline: Duration.minutes(10) },
      'KeyRotation: cutoverDeadline must be between 1 and 2160 hours; got 10 minutes. For example cutoverDeadline: Duration.hours(168).',
    ],
    [
      'a lastUsedReportingLag of 3 days',
      { lastUsedReportingLag: Duration.days(3) },
      'KeyRotation: lastUsedReportingLag must be between 0 and 48 hours; got 3 days. For example lastUsedReportingLag: Duration.hours(4).',
    ],
    [
      'a minimumRotateAfter longer than rotateAfter',
      { rotateAfter: Duration.days(30), minimumRotateAfter: Duration.days(40) },
      'KeyRotation: minimumRotateAfter must be between 1 and 30 days; got 40 days. For example minimumRotateAfter: Duration.days(30).',
    ],
    [
      'a recoveryWindow of 100 days',
      { recoveryWindow: Duration.days(100) },
      'KeyRotation: recoveryWindow must be between 0 and 90 days; got 100 days. For example recoveryWindow: Duration.days(7).',
    ],
    [
      'a maxConcurrentRotations of 0',
      { maxConcurrentRotations: 0 },
      'KeyRotation: maxConcurrentRotations must be a whole number from 1 to 10000; got 0. For example maxConcurrentRotations: 100.',
    ],
    [
      'a fractional maxConcurrentRotations',
      { maxConcurrentRotations: 1.5 },
      'KeyRotation: maxConcurrentRotations must be a whole number from 1 to 10000; got 1.5. For example maxConcurrentRotations: 100.',
    ],
    [
      'a maxConcurrentRotations of 20000',
      { maxConcurrentRotations: 20_000 },
      'KeyRotation: maxConcurrentRotations must be a whole number from 1 to 10000; got 20000. For example maxConcurrentRotations: 100.',
    ],
    [
      'an exemptionWarning of 400 days',
      { exemptionWarning: Duration.days(400) },
      'KeyRotation: exemptionWarning must be between 0 and 365 days; got 400 days. For example exemptionWarning: Duration.days(14).',
    ],
  ])('rejects %s, naming the prop, the value and the fix', (_, props, message) => {
    expect(() => construct(props)).toThrow(message);
  });

  it('accepts the boundaries of every range', () => {
    expect(() =>
      construct({
        rotateAfter: Duration.days(1),
        minimumRotateAfter: Duration.days(1),
        pollInterval: Duration.minutes(1),
        maxPollInterval: Duration.minutes(1),
        cutoverDeadline: Duration.hours(1),
        recoveryWindow: Duration.days(0),
        lastUsedReportingLag: Duration.hours(48),
        managedPath: '/',
        secretPrefix: 'a',
        maxConcurrentRotations: 1,
        exemptionWarning: Duration.days(0),
      }),
    ).not.toThrow();
    expect(() =>
      construct({ maxConcurrentRotations: 10_000, exemptionWarning: Duration.days(365) }),
    ).not.toThrow();
  });

  it('leaves a path and prefix given as deploy-time parameters to CloudFormation', () => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING, ...NO_VALIDATION }));
    const managedPath = new CfnParameter(stack, 'ManagedPath').valueAsString;
    const secretPrefix = new CfnParameter(stack, 'SecretPrefix').valueAsString;

    expect(() => construct({ managedPath, secretPrefix }, stack)).not.toThrow();
  });
});
