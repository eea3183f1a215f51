/** Secrets Manager state: secrets, their versions and staging labels. */
import type { Tag } from './account';

export interface SecretVersion {
  readonly versionId: string;
  /** SecretString, or SecretBinary as base64 text. */
  readonly value: string;
  readonly binary: boolean;
  stages: string[];
  readonly createdDate: Date;
  lastAccessedDate?: Date;
}

export interface SecretRecord {
  readonly name: string;
  readonly arn: string;
  description?: string;
  /** As given to CreateSecret; undefined means the default `aws/secretsmanager` key. */
  readonly kmsKeyId?: string;
  tags: Tag[];
  /** The secret's resource policy (PutResourcePolicy), as JSON text. */
  resourcePolicy?: string;
  readonly createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** Set while pending deletion. */
  deletedDate?: Date;
  /** When a pending deletion becomes final. */
  deletionDate?: Date;
  /** In creation order. */
  readonly versions: SecretVersion[];
  readonly seq: number;
}

export class SecretStore {
  readonly secrets = new Map<string, SecretRecord>();
  private seq = 0;

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /**
   * Finds a secret by name, full ARN, or partial ARN (without the random suffix). A secret
   * whose recovery window has passed is purged first, as AWS would have deleted it by then.
   */
  resolve(secretId: string, now: Date): SecretRecord | undefined {
    this.purge(now);
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const secret of this.secrets.values()) {
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    return undefined;
  }

  all(now: Date): SecretRecord[] {
    this.purge(now);
    return [...this.secrets.values()].sort((a, b) => a.seq - b.seq);
  }

  private purge(now: Date): void {
    for (const [name, secret] of this.secrets) {
      if (secret.deletionDate && secret.deletionDate.getTime() <= now.getTime()) {
        this.secrets.delete(name);
      }
    }
  }

  reset(): void {
    this.secrets.clear();
  }
}

export function versionHolding(secret: SecretRecord, stage: string): SecretVersion | undefined {
  return secret.versions.find((version) => version.stages.includes(stage));
}

export function labelCount(secret: SecretRecord): number {
  return secret.versions.reduce((count, version) => count + version.stages.length, 0);
}
