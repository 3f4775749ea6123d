import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { LoadedApiConfig } from './api-config.js';

/** Who called, as the server proved it; `via` says how. */
export interface Caller {
  principal: string;
  via: 'jwt' | 'api-key' | 'client-certificate';
}

/** Why a caller was not authenticated: the message goes back in the 401 (it names no secret). */
export class AuthenticationFailed extends Error {}

/** An API key's stored form: the SHA-256 of the key's UTF-8 bytes, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The URI prefix of a client certificate's SAN that names a principal. */
export const PRINCIPAL_URI_PREFIX = 'urn:actiongate:principal:';

/**
 * Authenticates a request by its client certificate and/or its bearer credential (a JWT, or an API
 * key), as configured. Both given must name the same principal. Nothing in the request body is
 * read: identity comes from credentials the server can check, never from what the caller claims.
 *
 * @example const caller = await authenticator(loaded)(req.raw); // throws AuthenticationFailed
 */
export function createAuthenticator(loaded: LoadedApiConfig): (req: IncomingMessage) => Promise<Caller> {
  const { auth } = loaded.config;
  let keys: JWTVerifyGetKey | undefined;
  if (auth.jwt) {
    keys = loaded.jwks
      ? createLocalJWKSet(loaded.jwks as Parameters<typeof createLocalJWKSet>[0])
      : createRemoteJWKSet(new URL(auth.jwt.jwksUrl as string), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }
  const apiKeys = (auth.apiKeys ?? []).map((entry) => ({ principal: entry.principal, hash: Buffer.from(entry.sha256, 'hex') }));

  async function fromBearer(token: string): Promise<Caller> {
    if (apiKeys.length > 0 && !looksLikeJwt(token)) {
      const hash = createHash('sha256').update(token, 'utf8').digest();
      // Compare with every entry, without an early exit, so timing says nothing about which matched.
      let found: string | undefined;
      for (const entry of apiKeys) if (timingSafeEqual(entry.hash, hash)) found ??= entry.principal;
      if (found === undefined) throw new AuthenticationFailed('the API key is not known');
      return { principal: found, via: 'api-key' };
    }
    if (!auth.jwt || !keys) throw new AuthenticationFailed('bearer JWTs are not accepted here (configure auth.jwt)');
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: auth.jwt.issuer,
        audience: auth.jwt.audience,
        algorithms: auth.jwt.algorithms,
        requiredClaims: ['exp', auth.jwt.principalClaim],
        clockTolerance: 30,
      });
      const principal = payload[auth.jwt.principalClaim];
      if (typeof principal !== 'string' || principal.length === 0 || principal.length > 200) {
        throw new AuthenticationFailed(`the token's "${auth.jwt.principalClaim}" claim must name a principal`);
      }
      return { principal, via: 'jwt' };
    } catch (error) {
      if (error instanceof AuthenticationFailed) throw error;
      throw new AuthenticationFailed(`the bearer token is not valid: ${jwtProblem(error)}`);
    }
  }

  function fromCertificate(req: IncomingMessage): Caller | undefined {
    if (!auth.clientCertificates) return undefined;
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) return undefined;
    if (!socket.authorized) throw new AuthenticationFailed(`the client certificate is not trusted: ${String(socket.authorizationError ?? 'unknown')}`);
    let principal: string | undefined;
    if (auth.clientCertificates.principalFrom === 'san-uri') {
      const uris = (cert.subjectaltname ?? '')
        .split(', ')
        .filter((name) => name.startsWith(`URI:${PRINCIPAL_URI_PREFIX}`))
        .map((name) => name.slice(`URI:${PRINCIPAL_URI_PREFIX}`.length));
      if (uris.length > 1) throw new AuthenticationFailed('the client certificate names more than one principal');
      principal = uris[0];
    } else {
      const cn = cert.subject?.CN;
      principal = Array.isArray(cn) ? undefined : cn;
    }
    if (!principal) {
      const where = auth.clientCertificates.principalFrom === 'san-uri' ? `a SAN URI ${PRINCIPAL_URI_PREFIX}<id>` : 'a single CN';
      throw new AuthenticationFailed(`the client certificate names no principal (expected ${where})`);
    }
    return { principal, via: 'client-certificate' };
  }

  return async (req) => {
    const byCertificate = fromCertificate(req);
    const header = req.headers.authorization;
    let byBearer: Caller | undefined;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/.exec(header);
      if (!match) throw new AuthenticationFailed('the Authorization header must be "Bearer <token>"');
      byBearer = await fromBearer(match[1] as string);
    }
    if (byCertificate && byBearer && byCertificate.principal !== byBearer.principal) {
      throw new AuthenticationFailed(`the client certificate names ${byCertificate.principal} but the bearer credential names ${byBearer.principal}`);
    }
    const caller = byBearer ?? byCertificate;
    if (!caller) throw new AuthenticationFailed('no credentials: send Authorization: Bearer <token>, or a client certificate');
    return caller;
  };
}

function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function jwtProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason === 'check_failed' ? 'does not match' : 'is missing'}`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the JWKS matches it';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (error instanceof joseErrors.JWKSTimeout) return 'the JWKS did not answer in time';
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'it cannot be read';
}
