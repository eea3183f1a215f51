/**
 * Authentication: who signed the request, refused the way AWS refuses it (docs/aws-semantics.md §0.3).
 * Skew is checked against real time because clients sign with real time; everything the
 * emulator records uses the sandbox clock.
 */
import type { Core } from './core';
import { ServiceError } from './errors';
import type { Principal } from './state/account';
import { addSeconds } from './time';
import {
  parseAmzDate,
  parseAuthorization,
  signatureMatches,
  type ParsedAuthorization,
  type SignedRequest,
} from './sigv4';

const MAX_SKEW_MS = 15 * 60_000;
const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export interface Authenticated {
  readonly principal: Principal;
  readonly auth: ParsedAuthorization;
}

function authError(
  query: boolean,
  kind: 'missing' | 'incomplete' | 'token' | 'signature' | 'expired',
  message?: string,
) {
  switch (kind) {
    case 'missing':
      return query
        ? new ServiceError(
            'MissingAuthenticationToken',
            'Request is missing Authentication Token',
            403,
            true,
          )
        : new ServiceError(
            'MissingAuthenticationTokenException',
            'Missing Authentication Token',
            400,
            true,
          );
    case 'incomplete':
      return new ServiceError(
        query ? 'IncompleteSignature' : 'IncompleteSignatureException',
        'Authorization header requires Credential, SignedHeaders and Signature.',
        400,
        true,
      );
    case 'token':
      return query
        ? new ServiceError(
            'InvalidClientTokenId',
            'The security token included in the request is invalid',
            403,
            true,
          )
        : new ServiceError(
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
            400,
            true,
          );
    case 'expired':
      // A role session past its expiration (docs/aws-semantics.md §2: STS answers ExpiredTokenException).
      return query
        ? new ServiceError(
            'ExpiredToken',
            'The security token included in the request is expired',
            403,
            true,
          )
        : new ServiceError(
            'ExpiredTokenException',
            'The security token included in the request is expired',
            400,
            true,
          );
    case 'signature':
      return query
        ? new ServiceError('SignatureDoesNotMatch', message ?? SIGNATURE_MESSAGE, 403, true)
        : new ServiceError('InvalidSignatureException', message ?? SIGNATURE_MESSAGE, 400, true);
  }
}

function headerText(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function findPrincipal(
  core: Core,
  request: SignedRequest,
  accessKeyId: string,
  now: Date,
  query: boolean,
): Principal | undefined {
  const system = core.account.system.get(accessKeyId);
  if (system) return { kind: 'system', principal: system };
  const session = core.policies.sessions.get(accessKeyId);
  if (session) {
    // Temporary credentials are only valid with their session token (X-Amz-Security-Token).
    if (headerText(request, 'x-amz-security-token') !== session.sessionToken) return undefined;
    if (now.getTime() >= session.expiration.getTime()) throw authError(query, 'expired');
    return { kind: 'session', session };
  }
  const key = core.account.findLiveKey(accessKeyId);
  if (!key || key.status !== 'Active') return undefined;
  // A new key is not yet known everywhere: IAM's eventual consistency.
  const usableAt = addSeconds(key.createDate, core.options.keyPropagationSeconds);
  if (now.getTime() < usableAt.getTime()) return undefined;
  const user = core.account.findUser(key.userName);
  return user ? { kind: 'user', user, key } : undefined;
}

function amzDateText(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function authenticate(
  core: Core,
  request: SignedRequest,
  query: boolean,
  now: Date,
): Authenticated {
  const header = request.headers.authorization;
  if (header === undefined) throw authError(query, 'missing');
  const auth = parseAuthorization(header);
  if (!auth) throw authError(query, 'incomplete');
  const principal = findPrincipal(core, request, auth.accessKeyId, now, query);
  if (!principal) throw authError(query, 'token');
  const secret =
    principal.kind === 'system'
      ? principal.principal.secretAccessKey
      : principal.kind === 'session'
        ? principal.session.secretAccessKey
        : principal.key.secretAccessKey;
  if (!signatureMatches(request, auth, secret)) throw authError(query, 'signature');
  const dateHeader = request.headers['x-amz-date'];
  const signedAt = parseAmzDate(Array.isArray(dateHeader) ? dateHeader[0] : dateHeader);
  if (!signedAt) throw authError(query, 'incomplete');
  const realNow = Date.now();
  if (Math.abs(realNow - signedAt.getTime()) > MAX_SKEW_MS) {
    const earliest = new Date(realNow - MAX_SKEW_MS);
    throw authError(
      query,
      'signature',
      `Signature expired: ${amzDateText(signedAt)} is now earlier than ${amzDateText(earliest)} (${amzDateText(new Date(realNow))} - 15 min.)`,
    );
  }
  return { principal, auth };
}
