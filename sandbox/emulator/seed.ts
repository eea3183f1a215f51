/**
 * Setup helpers that bypass the wire (demos, tests) but keep the API's rules: a seeded key
 * still counts toward the two-key limit, a seeded user name must still be unique.
 */
import type { Core } from './core';
import { createAccessKey, MAX_KEYS_PER_USER, type NewAccessKey } from './iam-keys';
import { createUser, type NewUser } from './iam-users';
import { JsonInput } from './json-protocol';
import type { secretsManagerService } from './secrets-manager';
import type { KeyStatus, Tag } from './state/account';
import type { CallContext } from './core';
import { ServiceError } from './errors';
import { requireValid } from './authz/documents';

export interface SeedAccessKey extends NewAccessKey {
  readonly userName: string;
}

/** An access key of the root user, for the credential report's `<root_account>` row. */
export interface SeedRootAccessKey {
  /** @default 'Active' */
  readonly status?: KeyStatus;
  /** @default now */
  readonly createDate?: Date;
  readonly lastUsed?: { readonly date: Date; readonly service: string; readonly region: string };
}

export interface SeedSecret {
  readonly name: string;
  /** A SecretString; its version gets AWSCURRENT. */
  readonly value?: string;
  readonly kmsKeyId?: string;
  readonly tags?: readonly Tag[];
}

export interface Seed {
  user(input: NewUser): { userName: string; arn: string; userId: string };
  accessKey(input: SeedAccessKey): { accessKeyId: string; secretAccessKey: string };
  secret(input: SeedSecret): { arn: string; versionId?: string };
  /**
   * An access key of the root user: shown in the credential report, never usable to sign and
   * never changed by any API call (on AWS only the root user can manage it). At most two.
   */
  rootAccessKey(input?: SeedRootAccessKey): { slot: 1 | 2 };
  /** An inline policy of the user (PutUserPolicy without the wire; validated the same way). */
  userPolicy(userName: string, policyName: string, document: unknown): void;
}

/** Seed errors are plain Errors that say what was refused and why. */
function refused(what: string, error: unknown): Error {
  if (error instanceof ServiceError) {
    return new Error(`seed.${what} refused: ${error.code}: ${error.message}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

export function createSeed(
  core: Core,
  secrets: ReturnType<typeof secretsManagerService>,
  systemContext: () => CallContext,
): Seed {
  return {
    user: (input) => {
      try {
        const user = createUser(core, input, 'seed');
        return { userName: user.userName, arn: user.arn, userId: user.userId };
      } catch (error) {
        throw refused('user', error);
      }
    },
    accessKey: ({ userName, ...input }) => {
      try {
        const key = createAccessKey(core, core.account.requireUser(userName), input, 'seed');
        return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
      } catch (error) {
        throw refused('accessKey', error);
      }
    },
    rootAccessKey: (input = {}) => {
      const keys = core.account.rootKeys;
      if (keys.length >= MAX_KEYS_PER_USER) {
        throw refused(
          'rootAccessKey',
          new ServiceError(
            'LimitExceeded',
            `Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`,
            409,
          ),
        );
      }
      keys.push({
        status: input.status ?? 'Active',
        createDate: input.createDate ?? core.clock.now(),
        ...(input.lastUsed && { lastUsed: { ...input.lastUsed } }),
      });
      return { slot: keys.length as 1 | 2 };
    },
    userPolicy: (userName, policyName, document) => {
      try {
        const user = core.account.requireUser(userName);
        const text = typeof document === 'string' ? document : JSON.stringify(document);
        requireValid(text, 'identity');
        core.policies.userPolicies(user.userName).inline.set(policyName, text);
      } catch (error) {
        throw refused('userPolicy', error);
      }
    },
    secret: (input) => {
      const createSecret = secrets.operations.CreateSecret;
      if (!createSecret) throw new Error('CreateSecret is not implemented');
      try {
        const raw = {
          Name: input.name,
          SecretString: input.value,
          KmsKeyId: input.kmsKeyId,
          Tags: input.tags?.map((t) => ({ Key: t.Key, Value: t.Value })),
        };
        const result = createSecret(new JsonInput(raw, secrets.invalid), systemContext());
        return {
          arn: String(result.ARN),
          versionId: typeof result.VersionId === 'string' ? result.VersionId : undefined,
        };
      } catch (error) {
        throw refused('secret', error);
      }
    },
  };
}
