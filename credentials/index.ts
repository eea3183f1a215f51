/**
 * Credentials for applications whose IAM user keys rekey rotates: an AWS SDK v3 credential
 * provider that reads the user's rekey secret, and a plugin that re-reads it as soon as AWS
 * rejects the old key. Depends on the AWS SDK v3 only.
 *
 * @packageDocumentation
 */
export { RekeyCredentialsError } from './errors';
export {
  fromRekeySecret,
  type FromRekeySecretOptions,
  type RekeyCredentialProvider,
  type RekeyLogger,
} from './from-rekey-secret';
export { isAuthError, rekeyRefreshOnAuthError } from './refresh-on-auth-error';
