import { createHmac } from 'node:crypto';
import { AWS_REGION } from './regions';

/**
 * Amazon SES SMTP credentials derived from an IAM access key, by the algorithm in "Obtaining
 * Amazon SES SMTP credentials by converting existing AWS credentials"
 * (https://docs.aws.amazon.com/ses/latest/dg/smtp-credentials.html#smtp-credentials-convert).
 * The SMTP user name is the access key id; the password is a SigV4-style signature of the
 * fixed message "SendRawEmail", so it is different in every region and changes with the key.
 * Pure: no I/O, no logging. The result is as secret as the secret access key itself.
 */

/** The fixed inputs of AWS's algorithm ("these values must not change"). */
const DATE = '11111111';
const SERVICE = 'ses';
const TERMINAL = 'aws4_request';
const MESSAGE = 'SendRawEmail';
const VERSION = 0x04;

export interface SesSmtpCredentials {
  /** The SMTP user name: the access key id. */
  readonly username: string;
  /** The SMTP password for this region. */
  readonly password: string;
}

function hmac(key: Buffer | string, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

/**
 * The SES SMTP password of `secretAccessKey` in `region`.
 *
 * @throws RangeError for an empty key or a malformed region (the message never holds the key)
 */
export function sesSmtpPassword(secretAccessKey: string, region: string): string {
  if (typeof secretAccessKey !== 'string' || secretAccessKey.length === 0) {
    throw new RangeError('sesSmtpPassword: the secret access key must be a non-empty string');
  }
  if (typeof region !== 'string' || !AWS_REGION.test(region)) {
    throw new RangeError(
      `sesSmtpPassword: "${String(region)}" is not an AWS region code such as eu-west-1`,
    );
  }
  let signature = hmac(`AWS4${secretAccessKey}`, DATE);
  for (const part of [region, SERVICE, TERMINAL, MESSAGE]) signature = hmac(signature, part);
  return Buffer.concat([Buffer.from([VERSION]), signature]).toString('base64');
}

/** SMTP user name and password of an access key in `region`. */
export function sesSmtpCredentials(
  key: { readonly accessKeyId: string; readonly secretAccessKey: string },
  region: string,
): SesSmtpCredentials {
  return { username: key.accessKeyId, password: sesSmtpPassword(key.secretAccessKey, region) };
}
