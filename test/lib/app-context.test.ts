import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { createRekeyApp } from '../../lib/app';
import { readContext, rotationProps } from '../../lib/app-context';
import { DeadlineAction, UserSelection } from '../../lib/key-rotation-props';
import { NO_VALIDATION, SKIP_BUNDLING } from './support';

const settings = (context: Record<string, unknown>) =>
  readContext(new App({ context: { ...SKIP_BUNDLING, ...context }, ...NO_VALIDATION }));

describe('rekey context settings', () => {
  it.each([
    [
      'rekey:deadlineAction',
      'maybe',
      'Context rekey:deadlineAction must be one of fail, enforce; got "maybe".',
    ],
    ['rekey:rotateAfterDays', 'abc', 'Context rekey:rotateAfterDays must be a number; got "abc".'],
    [
      'rekey:logRetentionDays',
      17,
      'Context rekey:logRetentionDays must be a CloudWatch Logs retention (e.g. 30, 90, 365); got 17.',
    ],
  ])('refuses %s = %p, naming the context key', (key, value, message) => {
    expect(() =>
      createRekeyApp({ context: { ...SKIP_BUNDLING, [key]: value }, ...NO_VALIDATION }),
    ).toThrow(message);
  });

  it('converts values given as strings with -c', () => {
    const props = rotationProps(
      settings({
        'rekey:rotateAfterDays': '60',
        'rekey:pollIntervalMinutes': '30',
        'rekey:deadlineAction': 'enforce',
        'rekey:userSelection': 'opt-in',
        'rekey:logRetentionDays': '90',
        'rekey:metricsNamespace': 'rekey-team-a',
      }),
    );

    expect(props.rotateAfter?.toDays()).toBe(60);
    expect(props.pollInterval?.toMinutes()).toBe(30);
    expect(props.deadlineAction).toBe(DeadlineAction.ENFORCE);
    expect(props.userSelection).toBe(UserSelection.OPT_IN);
    expect(props.logRetention).toBe(RetentionDays.THREE_MONTHS);
    expect(props.metricsNamespace).toBe('rekey-team-a');
  });

  it('leaves unset settings to the construct defaults', () => {
    const props = rotationProps(settings({}));

    expect(Object.values(props).filter((v) => v !== undefined)).toEqual([]);
  });
});
