import {
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  putReadPolicy,
  readersOf,
  readPolicy,
  smtpRegionsOf,
} from '../../../lambdas/shared/consumers';
import { awsErrors, failure, jsonError, SECRET_ARN, SECRET_ID } from '../helpers';

const ACCOUNT = '123456789012';
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/apps/alice`;
const role = (name: string, account = ACCOUNT): string => `arn:aws:iam::${account}:role/${name}`;

describe('readersOf (rekey:readers)', () => {
  it('reads role ARNs of the user’s account, separated by spaces (IAM tag values hold no commas)', () => {
    expect(
      readersOf({ 'rekey:readers': `${role('billing')}  ${role('ops/reports')}` }, USER_ARN),
    ).toEqual({
      values: [role('billing'), role('ops/reports')],
    });
  });

  it('finds the tag whatever its case (IAM tag keys ignore case) and drops repeats', () => {
    expect(readersOf({ 'Rekey:Readers': `${role('a')} ${role('a')}` }, USER_ARN)).toEqual({
      values: [role('a')],
    });
  });

  it('takes the partition from the user: a role of aws-cn for a user of aws-cn', () => {
    const cnRole = `arn:aws-cn:iam::${ACCOUNT}:role/billing`;

    expect(readersOf({ 'rekey:readers': cnRole }, `arn:aws-cn:iam::${ACCOUNT}:user/alice`)).toEqual(
      { values: [cnRole] },
    );
  });

  it('accepts the longest name and a deep path IAM allows', () => {
    const longest = role(`deep/er/path-with.chars+=@_/${'n'.repeat(64)}`);

    expect(readersOf({ 'rekey:readers': longest }, USER_ARN)).toEqual({ values: [longest] });
  });

  it.each([
    [
      'a role of another account',
      role('x', '999999999999'),
      'is a role of account 999999999999, not of 123456789012',
    ],
    ['a user, not a role', `arn:aws:iam::${ACCOUNT}:user/bob`, 'is not an IAM role ARN'],
    ['a wildcard', role('*'), 'has a wildcard (a principal names exactly one role)'],
    [
      'a wildcard in the path',
      role('ops*/x'),
      'has a wildcard (a principal names exactly one role)',
    ],
    ['a trailing slash', role('ops/'), 'names no role (it ends with "/")'],
    ['no role name at all', `arn:aws:iam::${ACCOUNT}:role`, 'names no role (it ends with "/")'],
    ['another partition', `arn:aws-cn:iam::${ACCOUNT}:role/x`, 'is in partition "aws-cn", not aws'],
    ['no partition', `arn:awsfoo:iam::${ACCOUNT}:role/x`, 'is in partition "awsfoo", not aws'],
    [
      'a name of 65 characters',
      role('n'.repeat(65)),
      `has a role name IAM does not allow ("${'n'.repeat(65)}": 1-64 of A-Z a-z 0-9 _ + = , . @ -)`,
    ],
    [
      'a character IAM refuses in the name',
      role('bill#ing'),
      'has a role name IAM does not allow ("bill#ing": 1-64 of A-Z a-z 0-9 _ + = , . @ -)',
    ],
    [
      'a path IAM refuses ("//")',
      role('/x'),
      'has a role path IAM does not allow ("//": "/" or "/a/b/", at most 512 characters)',
    ],
    ['no account', 'arn:aws:iam:::role/x', 'is a role of account (none), not of 123456789012'],
    ['a name that is no ARN', 'billing', 'is not an IAM role ARN'],
  ])('applies none of a tag with %s, and says why', (_, bad, why) => {
    const parsed = readersOf({ 'rekey:readers': `${role('ok')} ${bad}` }, USER_ARN);

    expect(parsed).toEqual({
      values: [],
      warning:
        `tag rekey:readers ignored: "${bad}" ${why}; each entry must be a role ARN of account ` +
        `${ACCOUNT} (arn:aws:iam::${ACCOUNT}:role/NAME or role/PATH/NAME, separated by spaces); ` +
        'only the user itself may read its secret until it is fixed',
    });
  });

  it('names every bad entry, and says so when the tag names nothing', () => {
    const two = readersOf({ 'rekey:readers': `${role('a/')} ${role('b', '1')}` }, USER_ARN);
    const empty = readersOf({ 'rekey:readers': '   ' }, USER_ARN);

    expect(two.warning).toContain(
      `"${role('a/')}" names no role (it ends with "/"); "${role('b', '1')}" is a role of account 1, not of ${ACCOUNT};`,
    );
    expect(empty).toEqual({
      values: [],
      warning: expect.stringMatching(/^tag rekey:readers ignored: it names no role; /) as unknown,
    });
  });

  it('has nothing to say about a user without the tag', () => {
    expect(readersOf({}, USER_ARN)).toEqual({ values: [] });
  });
});

describe('putReadPolicy', () => {
  const smClient = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(smClient);
  beforeEach(() => sm.reset());
  const unsupported = () =>
    jsonError(
      'MalformedPolicyDocumentException',
      400,
      'This resource policy contains an unsupported principal.',
    );

  it('sets the policy with BlockPublicPolicy', async () => {
    sm.on(PutResourcePolicyCommand).resolves({});

    await putReadPolicy(smClient, SECRET_ID, USER_ARN, [role('billing')]);

    expect(sm.commandCalls(PutResourcePolicyCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
      ResourcePolicy: readPolicy(USER_ARN, [role('billing')]),
      BlockPublicPolicy: true,
    });
  });

  it('names the one reader Secrets Manager refused, and how to fix or remove the tag', async () => {
    sm.on(PutResourcePolicyCommand).rejects(unsupported());

    const error = await failure(putReadPolicy(smClient, SECRET_ID, USER_ARN, [role('gone')]));

    expect(error).toMatchObject({
      name: 'ReadersRefusedError',
      message:
        'Secrets Manager refused the resource policy of rekey/alice (MalformedPolicyDocumentException: ' +
        `This resource policy contains an unsupported principal.): the role ${role('gone')}, which the ` +
        'tag rekey:readers of alice names, does not exist. A deleted role no longer counts (a role ' +
        'created seconds ago may not be visible yet). StageKey sets that policy before it creates a ' +
        "key: this attempt created none. Fix the tag (aws iam tag-user --user-name alice --tags 'Key=rekey:readers,Value=<the role " +
        "ARNs that exist, separated by spaces>') or remove it (aws iam untag-user --user-name alice " +
        '--tag-keys rekey:readers), then start the rotation again.',
    });
  });

  it('lists every reader when there are several, with how to find the missing one', async () => {
    sm.on(PutResourcePolicyCommand).rejects(unsupported());

    const error = await failure(
      putReadPolicy(smClient, SECRET_ID, USER_ARN, [role('a'), role('b')]),
    );

    expect(error.message).toContain(
      `one of the roles the tag rekey:readers of alice names does not exist (${role('a')}, ${role('b')}; ` +
        'Secrets Manager does not say which: aws iam get-role --role-name NAME tells)',
    );
  });

  it('says the user itself is unknown when there are no readers', async () => {
    sm.on(PutResourcePolicyCommand).rejects(unsupported());

    const error = await failure(putReadPolicy(smClient, SECRET_ID, USER_ARN, []));

    expect(error).toMatchObject({ name: 'ReadersRefusedError' });
    expect(error.message).toContain(
      `it names only the user ${USER_ARN}, which IAM no longer knows`,
    );
  });

  it('says the secret is scheduled for deletion when that is why the call was refused', async () => {
    sm.on(PutResourcePolicyCommand).rejects(
      awsErrors.invalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.",
      ),
    );
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ARN,
      Name: SECRET_ID,
      DeletedDate: new Date('2026-03-01T11:00:00.000Z'),
    });

    const error = await failure(
      putReadPolicy(smClient, SECRET_ID, USER_ARN, [], new Date('2026-03-01T12:00:00.000Z')),
    );

    expect(error).toMatchObject({
      name: 'SecretDeletedError',
      message: expect.stringContaining(
        'The secret rekey/alice is scheduled for deletion: its deletion was requested at ' +
          '2026-03-01T11:00:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
          'window given to DeleteSecret ends, 7 to 30 days later (between ' +
          '2026-03-08T11:00:00.000Z and 2026-03-31T11:00:00.000Z).',
      ) as unknown,
    });
  });

  it('passes any other refusal on as it is', async () => {
    const throttled = awsErrors.smThrottling();
    sm.on(PutResourcePolicyCommand).rejects(throttled);

    await expect(putReadPolicy(smClient, SECRET_ID, USER_ARN, [])).rejects.toBe(throttled);
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
