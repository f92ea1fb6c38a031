import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcIssuer } from '../security-config.ts';

// Verifies OIDC and workload identity JWTs (Kubernetes service-account
// tokens, SPIFFE JWT-SVIDs) against the JWKS of the configured issuers. The
// issuer is picked by the token's unverified `iss`; the signature, issuer,
// audience and expiry are then checked by jose against that issuer's keys.

export type JwtResult =
  | { ok: true; issuer: OidcIssuer; payload: JWTPayload }
  | { ok: false; reason: string };

export interface JwtVerifier {
  verify(token: string): Promise<JwtResult>;
}

/** Accepted signature algorithms; `none` and HMAC are never accepted, since the keys come from a JWKS. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export function createJwtVerifier(issuers: readonly OidcIssuer[]): JwtVerifier {
  const byIssuer = new Map(
    issuers.map((issuer) => [
      issuer.issuer,
      { issuer, keys: createRemoteJWKSet(new URL(issuer.jwksUri), { timeoutDuration: 5_000, cooldownDuration: 30_000 }) },
    ]),
  );
  return {
    async verify(token) {
      let claimedIssuer: string | undefined;
      try {
        claimedIssuer = decodeJwt(token).iss;
      } catch {
        return { ok: false, reason: 'bearer token is not a valid JWT' };
      }
      const entry = claimedIssuer === undefined ? undefined : byIssuer.get(claimedIssuer);
      if (entry === undefined) return { ok: false, reason: 'JWT issuer is not configured' };
      try {
        const { payload } = await jwtVerify(token, entry.keys, {
          issuer: entry.issuer.issuer,
          audience: entry.issuer.audience,
          algorithms,
          clockTolerance: 30,
        });
        return { ok: true, issuer: entry.issuer, payload };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'JWT has expired' };
        if (error instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: `JWT claim "${error.claim}" is invalid` };
        if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
          return { ok: false, reason: 'JWT signature does not match a key of its issuer' };
        }
        if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JOSEError) {
          return { ok: false, reason: `JWT could not be verified (${error.code})` };
        }
        return { ok: false, reason: 'JWT could not be verified: the issuer keys could not be fetched' };
      }
    },
  };
}

/** Reads a claim that holds a string or an array of strings. */
export function readStringList(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item !== '');
  return [];
}

/**
 * The agent a workload token speaks for: the configured claim, else the name
 * at the end of a Kubernetes service-account subject
 * (`system:serviceaccount:<namespace>:<name>`) or of a SPIFFE id
 * (`spiffe://<trust domain>/.../<name>`). Empty when neither applies.
 */
export function agentOfWorkload(issuer: OidcIssuer, payload: JWTPayload): string {
  if (issuer.agentClaim !== undefined) return readStringList(payload, issuer.agentClaim)[0] ?? '';
  const subject = payload.sub ?? '';
  const serviceAccount = /^system:serviceaccount:[^:]+:([^:]+)$/.exec(subject);
  if (serviceAccount) return serviceAccount[1] ?? '';
  if (subject.startsWith('spiffe://')) {
    const segments = subject.slice('spiffe://'.length).split('/').filter(Boolean);
    return segments.length > 1 ? (segments.at(-1) ?? '') : '';
  }
  return '';
}
