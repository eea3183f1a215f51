import {
  PutResourcePolicyCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

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

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export interface Parsed {
  readonly values: readonly string[];
  /** Why the tag was not applied: a bad entry voids the whole tag, never half of it. */
  readonly warning?: string;
}

const lookup = (tags: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.entries(tags).find(([k]) => k.toLowerCase() === key)?.[1];

/** `rekey:readers`: role ARNs of the user's account that may read its secret too. */
export function readersOf(tags: Readonly<Record<string, string>>, accountId: string): Parsed {
  const raw = lookup(tags, READERS_TAG);
  if (raw === undefined) return { values: [] };
  const entries = split(raw);
  const bad = entries.filter((arn) => ROLE_ARN.exec(arn)?.[1] !== accountId);
  if (bad.length > 0 || entries.length === 0) {
    return {
      values: [],
      warning:
        `tag ${READERS_TAG} ignored: ${bad.length > 0 ? `${bad.map((b) => `"${b}"`).join(', ')} is not` : 'it names no'} ` +
        `a role ARN of account ${accountId} (arn:aws:iam::${accountId}:role/NAME, separated by spaces); ` +
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
  const bad = entries.filter((r) => !REGION.test(r));
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

/** Sets (or keeps) the secret's resource policy; Secrets Manager refuses a public one. */
export async function putReadPolicy(
  sm: SecretsManagerClient,
  secretId: string,
  userArn: string,
  readers: readonly string[],
): Promise<void> {
  await sm.send(
    new PutResourcePolicyCommand({
      SecretId: secretId,
      ResourcePolicy: readPolicy(userArn, readers),
      BlockPublicPolicy: true,
    }),
  );
}
