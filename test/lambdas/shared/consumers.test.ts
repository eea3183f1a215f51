import { readersOf, readPolicy, smtpRegionsOf } from '../../../lambdas/shared/consumers';

const ACCOUNT = '123456789012';
const role = (name: string, account = ACCOUNT): string => `arn:aws:iam::${account}:role/${name}`;

describe('readersOf (rekey:readers)', () => {
  it('reads role ARNs of the user’s account, separated by spaces (IAM tag values hold no commas)', () => {
    expect(
      readersOf({ 'rekey:readers': `${role('billing')}  ${role('ops/reports')}` }, ACCOUNT),
    ).toEqual({
      values: [role('billing'), role('ops/reports')],
    });
  });

  it('finds the tag whatever its case (IAM tag keys ignore case) and drops repeats', () => {
    expect(readersOf({ 'Rekey:Readers': `${role('a')} ${role('a')}` }, ACCOUNT)).toEqual({
      values: [role('a')],
    });
  });

  it.each([
    ['a role of another account', `${role('ok')} ${role('x', '999999999999')}`],
    ['a user, not a role', `${role('ok')} arn:aws:iam::${ACCOUNT}:user/bob`],
    ['a wildcard', `${role('ok')} arn:aws:iam::${ACCOUNT}:role/*`],
    ['nothing', '   '],
  ])('applies none of a tag with %s, and says why', (_, value) => {
    const parsed = readersOf({ 'rekey:readers': value }, ACCOUNT);

    expect(parsed.values).toEqual([]);
    expect(parsed.warning).toMatch(/^tag rekey:readers ignored: /);
    expect(parsed.warning).toContain('only the user itself may read its secret until it is fixed');
  });

  it('has nothing to say about a user without the tag', () => {
    expect(readersOf({}, ACCOUNT)).toEqual({ values: [] });
  });
});

describe('smtpRegionsOf (rekey:ses-smtp-regions)', () => {
  it('reads region names separated by spaces or commas', () => {
    expect(
      smtpRegionsOf({ 'rekey:ses-smtp-regions': 'eu-west-1 us-east-1,us-gov-west-1' }),
    ).toEqual({
      values: ['eu-west-1', 'us-east-1', 'us-gov-west-1'],
    });
  });

  it('derives nothing from a tag with a name that is no region, and says why', () => {
    const parsed = smtpRegionsOf({ 'rekey:ses-smtp-regions': 'eu-west-1 Ireland' });

    expect(parsed).toEqual({
      values: [],
      warning: expect.stringContaining('"Ireland" is not a region name') as unknown,
    });
  });
});

describe('readPolicy', () => {
  it('names the user, and the readers only when there are some', () => {
    const user = `arn:aws:iam::${ACCOUNT}:user/apps/alice`;

    const alone = JSON.parse(readPolicy(user, [])) as { Statement: { Principal: unknown }[] };
    const shared = JSON.parse(readPolicy(user, [role('billing')])) as {
      Statement: { Principal: unknown }[];
    };

    expect(alone.Statement.map((s) => s.Principal)).toEqual([{ AWS: user }]);
    expect(shared.Statement.map((s) => s.Principal)).toEqual([
      { AWS: user },
      { AWS: [role('billing')] },
    ]);
  });
});
