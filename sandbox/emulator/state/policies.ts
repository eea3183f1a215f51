/**
 * What authorization reads: IAM roles and managed policies, the users' own policies, STS role
 * sessions, KMS keys with their key policies, and the topics' policies and keys. Roles, policies,
 * keys and topics are deployed infrastructure (a reset keeps them); users' policies belong to the
 * users and go with them.
 */

/** A policy document as JSON text, exactly as it was given (IAM returns it URL-encoded). */
export type PolicyText = string;

export interface RoleRecord {
  readonly roleName: string;
  readonly path: string;
  readonly arn: string;
  readonly roleId: string;
  readonly createDate: Date;
  readonly description?: string;
  /** Seconds, 3600 to 43200. */
  readonly maxSessionDuration: number;
  trustPolicy: PolicyText;
  /** Inline policies by name. */
  readonly inline: Map<string, PolicyText>;
  /** Attached managed policy ARNs, in attachment order. */
  readonly attached: Set<string>;
}

export interface ManagedPolicyRecord {
  readonly policyName: string;
  readonly path: string;
  readonly arn: string;
  readonly policyId: string;
  readonly createDate: Date;
  readonly description?: string;
  document: PolicyText;
}

export interface UserPolicies {
  readonly inline: Map<string, PolicyText>;
  readonly attached: Set<string>;
}

export interface SessionRecord {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly roleArn: string;
  readonly roleName: string;
  readonly roleId: string;
  readonly sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` */
  readonly arn: string;
  /** Sandbox time; renewed sessions (see Emulator.serviceSession) move it forward. */
  expiration: Date;
}

export interface KmsKeyRecord {
  readonly keyId: string;
  readonly arn: string;
  policy: PolicyText;
  /** `alias/aws/secretsmanager` and the like: an AWS managed key. */
  readonly awsManaged: boolean;
}

export interface TopicSettings {
  /** undefined: SNS's default policy applies (a topic policy replaces it). */
  policy?: PolicyText;
  /** Key id or ARN of the topic's KMS master key (server-side encryption). */
  kmsMasterKeyId?: string;
}

export class PolicyState {
  /** By lower-case role name: role names are unique regardless of case. */
  readonly roles = new Map<string, RoleRecord>();
  /** By ARN. AWS managed policies are added when first attached. */
  readonly managed = new Map<string, ManagedPolicyRecord>();
  /** By lower-case user name. */
  readonly users = new Map<string, UserPolicies>();
  /** By access key id. */
  readonly sessions = new Map<string, SessionRecord>();
  /** By key ARN; aliases map to key ARNs. */
  readonly keys = new Map<string, KmsKeyRecord>();
  readonly aliases = new Map<string, string>();
  /** By topic ARN. */
  readonly topics = new Map<string, TopicSettings>();

  findRole(roleName: string): RoleRecord | undefined {
    return this.roles.get(roleName.toLowerCase());
  }

  /** The user's policies, created empty on first use. */
  userPolicies(userName: string): UserPolicies {
    const key = userName.toLowerCase();
    let found = this.users.get(key);
    if (!found) {
      found = { inline: new Map(), attached: new Set() };
      this.users.set(key, found);
    }
    return found;
  }

  /** A key by id, ARN, alias name or alias ARN. */
  findKey(keyIdOrArn: string): KmsKeyRecord | undefined {
    const direct = this.keys.get(keyIdOrArn);
    if (direct) return direct;
    const aliasName = keyIdOrArn.replace(/^arn:aws:kms:[^:]*:\d{12}:/, '');
    const aliased = this.aliases.get(aliasName);
    if (aliased) return this.keys.get(aliased);
    for (const key of this.keys.values()) if (key.keyId === keyIdOrArn) return key;
    return undefined;
  }

  /** Users' policies go with the users; everything else is infrastructure. */
  reset(): void {
    this.users.clear();
  }
}
