import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
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
      'KeyRotation at Default/Rotation: rotateAfter must be between 1 and 365 days; got 0 days. For example rotateAfter: Duration.days(80).',
    ],
    [
      'a pollInterval of 10 seconds',
      { pollInterval: Duration.seconds(10) },
      'KeyRotation at Default/Rotation: pollInterval must be between 1 and 1440 minutes; got 10 seconds. For example pollInterval: Duration.minutes(15).',
    ],
    [
      'a maxPollInterval shorter than pollInterval',
      { pollInterval: Duration.hours(2), maxPollInterval: Duration.hours(1) },
      'KeyRotation at Default/Rotation: maxPollInterval (3600 s) must not be shorter than pollInterval (7200 s). Raise maxPollInterval or lower pollInterval.',
    ],
    [
      'a managedPath without slashes',
      { managedPath: 'apps' },
      `KeyRotation at Default/Rotation: managedPath must be an IAM path that starts and ends with "/" (e.g. '/' or '/apps/'); got 'apps'.`,
    ],
    [
      'a secretPrefix with a space',
      { secretPrefix: 'team a/' },
      "KeyRotation at Default/Rotation: secretPrefix may hold only letters, digits and /_+=.@- (1-256 characters); got 'team a/'. Use e.g. 'rekey/'.",
    ],
    [
      'a cutoverDeadline of 10 minutes',
      { cutoverDeadline: Duration.minutes(10) },
      'KeyRotation at Default/Rotation: cutoverDeadline must be between 1 and 2160 hours; got 10 minutes. For example cutoverDeadline: Duration.hours(168).',
    ],
    [
      'a lastUsedReportingLag of 3 days',
      { lastUsedReportingLag: Duration.days(3) },
      'KeyRotation at Default/Rotation: lastUsedReportingLag must be between 0 and 48 hours; got 3 days. For example lastUsedReportingLag: Duration.hours(4).',
    ],
    [
      'a minimumRotateAfter longer than rotateAfter',
      { rotateAfter: Duration.days(30), minimumRotateAfter: Duration.days(40) },
      'KeyRotation at Default/Rotation: minimumRotateAfter must be between 1 and 30 days; got 40 days. For example minimumRotateAfter: Duration.days(30).',
    ],
    [
      'a recoveryWindow of 100 days',
      { recoveryWindow: Duration.days(100) },
      'KeyRotation at Default/Rotation: recoveryWindow must be between 0 and 90 days; got 100 days. For example recoveryWindow: Duration.days(7).',
    ],
    [
      'a maxConcurrentRotations of 0',
      { maxConcurrentRotations: 0 },
      'KeyRotation at Default/Rotation: maxConcurrentRotations must be a whole number from 1 to 10000; got 0. For example maxConcurrentRotations: 100.',
    ],
    [
      'a fractional maxConcurrentRotations',
      { maxConcurrentRotations: 1.5 },
      'KeyRotation at Default/Rotation: maxConcurrentRotations must be a whole number from 1 to 10000; got 1.5. For example maxConcurrentRotations: 100.',
    ],
    [
      'a maxConcurrentRotations of 20000',
      { maxConcurrentRotations: 20_000 },
      'KeyRotation at Default/Rotation: maxConcurrentRotations must be a whole number from 1 to 10000; got 20000. For example maxConcurrentRotations: 100.',
    ],
    [
      'an exemptionWarning of 400 days',
      { exemptionWarning: Duration.days(400) },
      'KeyRotation at Default/Rotation: exemptionWarning must be between 0 and 365 days; got 400 days. For example exemptionWarning: Duration.days(14).',
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

  it('refuses a duration or a count given as a deploy-time parameter, instead of using the default', () => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING, ...NO_VALIDATION }));
    // CDK converts only Duration.seconds() of a token; rekey must still not fall back to its default.
    const seconds = new CfnParameter(stack, 'RotateAfter', { type: 'Number' }).valueAsNumber;

    expect(() => construct({ rotateAfter: Duration.seconds(seconds) }, stack)).toThrow(
      'KeyRotation at Default/Rotation: rotateAfter must be known when the app is synthesized, not a ' +
        "token (a CloudFormation parameter or another resource's value): rekey computes its policy " +
        'from it. Give a value, for example rotateAfter: Duration.days(80).',
    );
    const other = new Stack(new App({ context: SKIP_BUNDLING, ...NO_VALIDATION }));
    const cap = new CfnParameter(other, 'Cap', { type: 'Number' }).valueAsNumber;
    expect(() => construct({ maxConcurrentRotations: cap }, other)).toThrow(
      'maxConcurrentRotations must be known when the app is synthesized',
    );
  });
});

describe('KeyRotation synthesis warnings', () => {
  const warnings = (props: KeyRotationProps) => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING, ...NO_VALIDATION }));
    construct(props, stack);
    return Annotations.fromStack(stack).findWarning(
      '/Default/Rotation',
      Match.stringLikeRegexp('90 days'),
    );
  };

  it('warns when rotateAfter plus cutoverDeadline lets a key pass 90 days, saying by how much', () => {
    const found = warnings({ rotateAfter: Duration.days(85), cutoverDeadline: Duration.days(10) });

    expect(found.map((w) => w.entry.data)).toEqual([
      'rotateAfter (85 days) plus cutoverDeadline (240 hours) lets a key reach 95 days before its ' +
        "rotation ends: past the 90 days that CIS AWS Foundations and AWS Config's " +
        'access-keys-rotated rule expect. Shorten either to stay within 90. [ack: rekey:keyAgeBeyond90Days]',
    ]);
  });

  it('says nothing for the defaults (80 days plus 7), nor at exactly 90', () => {
    expect(warnings({})).toEqual([]);
    expect(warnings({ rotateAfter: Duration.days(83), cutoverDeadline: Duration.days(7) })).toEqual(
      [],
    );
  });
});
