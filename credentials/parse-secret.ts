import { RekeyCredentialsError } from './errors';

/** The two fields of a rekey secret that sign requests. */
export interface RekeySecretKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Validates the JSON that rekey writes to a user's secret:
 * `{"UserName","AccessKeyId","SecretAccessKey","CreateDate"}`.
 *
 * @param text - the SecretString
 * @param where - how error messages name the secret, e.g. `secret "rekey/alice" (AWSCURRENT)`
 * @param secretId - recorded on the error
 */
export function parseRekeySecret(text: string, where: string, secretId: string): RekeySecretKey {
  const fail = (problem: string): RekeyCredentialsError =>
    new RekeyCredentialsError(`rekey: ${where} ${problem}`, secretId);

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the input, which is the secret: keep neither it nor the cause.
    throw fail('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`is not a JSON object (got ${typeName(value)})`);
  }
  const fields = value as Record<string, unknown>;

  const accessKeyId = fields['AccessKeyId'];
  if (accessKeyId === undefined || accessKeyId === null) {
    throw fail('has no AccessKeyId');
  }
  if (!isNonEmptyString(accessKeyId)) {
    throw fail(`has an AccessKeyId that is not a non-empty string (got ${typeName(accessKeyId)})`);
  }

  const secretAccessKey = fields['SecretAccessKey'];
  if (secretAccessKey === undefined || secretAccessKey === null) {
    // The baseline rekey writes for a user's pre-existing key: it never knew that key's secret.
    throw fail(
      `has no SecretAccessKey: it is the baseline for access key ${accessKeyId}, because rekey ` +
        'has not completed a rotation for this user yet. Run or wait for the first rotation, ' +
        'or keep the credentials the application already has until then.',
    );
  }
  if (!isNonEmptyString(secretAccessKey)) {
    throw fail(
      `has a SecretAccessKey that is not a non-empty string (got ${typeName(secretAccessKey)})`,
    );
  }
  return { accessKeyId, secretAccessKey };
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Describes a value by its kind only, so that no part of the secret reaches a message. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value === '') return 'empty string';
  return typeof value;
}
