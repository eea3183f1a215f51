import {
  PutResourcePolicyCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsErrorCode, ReadersRefusedError } from './errors';
import { whenSecretGone } from './secret-gone';
import { AWS_REGION } from './regions';

/**
 * Who may read a user's secret besides rekey: the user itself (so an application holding only
 * the user's key reads the next key with it), and the roles its `rekey:readers` tag names.
 * The grant lives on resources rekey owns (the secret's resource policy; the KMS key policy is
 * the construct's), never in the users' or roles' own policies.
 */
export const READERS_TAG = 'rekey:readers';
export const SES_SMTP_REGIONS_TAG = 'rekey:ses-smtp-regions';

/** Tag values hold no commas in IAM: entries are separated by spaces (commas are accepted too). */
const split = (value: string): string[] => value.split(/[\s,]+/).filter((v) => v !== '');

export interface Parsed {
  readonly values: readonly string[];
  /** Why the tag was not applied: a bad entry voids the whole tag, never half of it. */
  readonly warning?: string;
}

const lookup = (tags: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.entries(tags).find(([k]) => k.toLowerCase() === key)?.[1];

/**
 * IAM's rules for a role's path and name (CreateRole: Path matches
 * `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, 1-512 characters; RoleName matches `[\w+=,.@-]+`,
 * 1-64 characters), https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html.
 * A role ARN is `arn:<partition>:iam::<account>:role<path><name>`: everything up to the last
 * slash is the path, the rest the name.
 */
const ROLE_PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * Why `arn` is not a role of the user's own account, as IAM would judge it; undefined when it
 * is one. Secrets Manager refuses a resource policy whose principal IAM cannot resolve
 * (MalformedPolicyDocumentException), so a reader that fails here would fail every rotation.
 * A principal names exactly one role: no wildcards
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
 */
function roleArnProblem(arn: string, partition: string, accountId: string): string | undefined {
  const parts = /^arn:([^:]*):iam::([^:]*):role(\/.*)?$/.exec(arn);
  if (!parts) return 'is not an IAM role ARN';
  const [, arnPartition = '', account = '', rest = ''] = parts;
  if (arnPartition !== partition) return `is in partition "${arnPartition}", not ${partition}`;
  if (account !== accountId)
    return `is a role of account ${account || '(none)'}, not of ${accountId}`;
  if (/[*?]/.test(rest)) return 'has a wildcard (a principal names exactly one role)';
  const cut = rest.lastIndexOf('/') + 1;
  const path = rest.slice(0, cut);
  const name = rest.slice(cut);
  if (name === '') return 'names no role (it ends with "/")';
  if (!ROLE_NAME.test(name)) {
    return `has a role name IAM does not allow ("${name}": 1-64 of A-Z a-z 0-9 _ + = , . @ -)`;
  }
  if (path.length > 512 || !ROLE_PATH.test(path)) {
    return `has a role path IAM does not allow ("${path}": "/" or "/a/b/", at most 512 characters)`;
  }
  return undefined;
}

/**
 * `rekey:readers`: role ARNs of the user's account that may read its secret too. The partition
 * and account are the user's (`userArn`, as IAM returns it), so a reader is always a role of the
 * deployment's own partition and account.
 */
export function readersOf(tags: Readonly<Record<string, string>>, userArn: string): Parsed {
  const raw = lookup(tags, READERS_TAG);
  if (raw === undefined) return { values: [] };
  const [, partition = 'aws', accountId = ''] = /^arn:([^:]*):iam::(\d{12}):/.exec(userArn) ?? [];
  const entries = split(raw);
  const bad = entries.flatMap((arn) => {
    const problem = roleArnProblem(arn, partition, accountId);
    return problem === undefined ? [] : [`"${arn}" ${problem}`];
  });
  if (bad.length > 0 || entries.length === 0) {
    return {
      values: [],
      warning:
        `tag ${READERS_TAG} ignored: ${bad.length > 0 ? bad.join('; ') : 'it names no role'}; ` +
        `each entry must be a role ARN of account ${accountId} ` +
        `(arn:${partition}:iam::${accountId}:role/NAME or role/PATH/NAME, separated by spaces); ` +
        'only the user itself may read its secret until it is fixed',
    };
  }
  return { values: [...new Set(entries)] };
}

/** `rekey:ses-smtp-regions`: regions whose SES SMTP password the secret also carries. */
export function smtpRegionsOf(tags: Readonly<Record<string, string>>): Parsed {
  const raw = lookup(tags, SES_SMTP_REGIONS_TAG);
  if (raw === undefined) return { values: [] };
  const entries = split(raw);
  const bad = entries.filter((r) => !AWS_REGION.test(r));
  if (bad.length > 0 || entries.length === 0) {
    return {
      values: [],
      warning:
        `tag ${SES_SMTP_REGIONS_TAG} ignored: ${bad.length > 0 ? bad.map((b) => `"${b}"`).join(', ') : 'no region'} ` +
        'is not a region name (e.g. "eu-west-1 us-east-1", separated by spaces); no SMTP password is derived',
    };
  }
  return { values: [...new Set(entries)] };
}

const READ = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

/** The secret's resource policy: the user reads its own secret, and so do its readers. */
export function readPolicy(userArn: string, readers: readonly string[]): string {
  const statement = (sid: string, principal: string | readonly string[]) => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: principal },
    Action: READ,
    Resource: '*',
  });
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      statement('RekeyUserReadsOwnSecret', userArn),
      ...(readers.length > 0 ? [statement('RekeyReaders', readers)] : []),
    ],
  });
}

/**
 * Why Secrets Manager refused the policy, for the operator: IAM resolves every role in a
 * resource policy to its unique id when the policy is saved, and refuses one that does not exist
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
 * "IAM role principals"); Secrets Manager answers MalformedPolicyDocumentException, "This
 * resource policy contains an unsupported principal." It does not say which principal, so a tag
 * with several roles is named whole, with how to find the missing one.
 */
function refusedReaders(
  secretId: string,
  userArn: string,
  readers: readonly string[],
  error: unknown,
): ReadersRefusedError {
  const userName = userArn.slice(userArn.lastIndexOf('/') + 1);
  const said = `MalformedPolicyDocumentException: ${error instanceof Error ? error.message : ''}`;
  if (readers.length === 0) {
    return new ReadersRefusedError(
      `Secrets Manager refused the resource policy of ${secretId} (${said}): it names only the ` +
        `user ${userArn}, which IAM no longer knows (deleted or renamed since the rotation started?).`,
      error,
    );
  }
  const who =
    readers.length === 1
      ? `the role ${readers[0] ?? ''}, which the tag ${READERS_TAG} of ${userName} names, does not exist`
      : `one of the roles the tag ${READERS_TAG} of ${userName} names does not exist ` +
        `(${readers.join(', ')}; Secrets Manager does not say which: aws iam get-role --role-name NAME tells)`;
  return new ReadersRefusedError(
    `Secrets Manager refused the resource policy of ${secretId} (${said}): ${who}. ` +
      'A deleted role no longer counts (a role created seconds ago may not be visible yet). ' +
      'StageKey sets that policy before it creates a key: this attempt created none. Fix the tag ' +
      `(aws iam tag-user --user-name ${userName} --tags 'Key=${READERS_TAG},Value=<the role ARNs that exist, separated by spaces>') ` +
      `or remove it (aws iam untag-user --user-name ${userName} --tag-keys ${READERS_TAG}), ` +
      'then start the rotation again.',
    error,
  );
}

/**
 * Sets (or keeps) the secret's resource policy; Secrets Manager refuses a public one. A policy
 * refused for a principal IAM does not know fails the rotation with what to fix (ReadersRefusedError)
 * rather than falling back to the user alone: that would silently take the secret away from the
 * readers that do exist, and their applications would break at the cutover. `now` dates a secret
 * found scheduled for deletion (see whenSecretGone).
 */
export async function putReadPolicy(
  sm: SecretsManagerClient,
  secretId: string,
  userArn: string,
  readers: readonly string[],
  now?: Date,
): Promise<void> {
  try {
    await sm.send(
      new PutResourcePolicyCommand({
        SecretId: secretId,
        ResourcePolicy: readPolicy(userArn, readers),
        BlockPublicPolicy: true,
      }),
    );
  } catch (error) {
    if (awsErrorCode(error) === 'MalformedPolicyDocumentException') {
      throw refusedReaders(secretId, userArn, readers, error);
    }
    throw await whenSecretGone(sm, secretId, error, now);
  }
}
