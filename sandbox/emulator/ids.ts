import { randomBytes, randomUUID } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_CHARS = `${ALNUM}/+`;

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length] ?? 'A';
  return out;
}

/** Long-term user key ids: real ones use A-Z and 2-7 after the prefix (docs/aws-semantics.md §0.5). */
export const newAccessKeyId = (): string => `AKIA${randomFrom(BASE32, 16)}`;
/** Temporary (session-like) key ids, used for the sandbox's system principals. */
export const newSystemKeyId = (): string => `ASIA${randomFrom(BASE32, 16)}`;
export const newSecretAccessKey = (): string => randomFrom(SECRET_CHARS, 40);
export const newUserId = (): string => `AIDA${randomFrom(UPPER_ALNUM, 17)}`;
export const newRoleId = (): string => `AROA${randomFrom(UPPER_ALNUM, 17)}`;
export const newPolicyId = (): string => `ANPA${randomFrom(UPPER_ALNUM, 17)}`;
export const newSecretSuffix = (): string => randomFrom(ALNUM, 6);
export const uuid = (): string => randomUUID();
