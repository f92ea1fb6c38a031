import type { SecurityConfig } from '../security-config.ts';
import { highestRole, type Caller, type IngestIdentity } from './identity.ts';
import { agentOfWorkload, createJwtVerifier, looksLikeJwt, readStringList, type JwtVerifier } from './jwt.ts';
import type { AccessToken } from './token-store.ts';

// Turns an Authorization header into an ingest identity or an API caller.
// Failures are values with a reason for the response body; the reason never
// contains the credential.

export type AuthResult<T> = { ok: true; value: T } | { ok: false; status: 401 | 403; reason: string };

export interface TokenLookup {
  lookup(token: string): Promise<AccessToken | null>;
}

export interface Authenticator {
  authenticateIngest(authorization: string | undefined): Promise<AuthResult<IngestIdentity>>;
  authenticateCaller(authorization: string | undefined): Promise<AuthResult<Caller>>;
}

function readBearer(authorization: string | undefined): string | null {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

const missing = { ok: false, status: 401, reason: 'missing credentials; send Authorization: Bearer <token>' } as const;

export function createAuthenticator(options: { tokens: TokenLookup; security: SecurityConfig; jwt?: JwtVerifier }): Authenticator {
  const { tokens, security } = options;
  const jwt = options.jwt ?? createJwtVerifier(security.oidcIssuers);
  const hasIssuers = security.oidcIssuers.length > 0;

  return {
    async authenticateIngest(authorization) {
      const bearer = readBearer(authorization);
      if (bearer === null) return missing;
      if (hasIssuers && looksLikeJwt(bearer)) {
        const verified = await jwt.verify(bearer);
        if (!verified.ok) return { ok: false, status: 401, reason: verified.reason };
        if (verified.issuer.use === 'investigator') return { ok: false, status: 403, reason: 'JWT issuer is not allowed to send spans' };
        const tenants = readStringList(verified.payload, verified.issuer.tenantClaim);
        const tenant = tenants[0] ?? verified.issuer.tenant;
        if (tenant === undefined) return { ok: false, status: 403, reason: `JWT names no tenant in claim "${verified.issuer.tenantClaim}"` };
        if (tenants.length > 1) return { ok: false, status: 403, reason: 'an ingest JWT must name exactly one tenant' };
        return {
          ok: true,
          value: {
            principal: `jwt:${verified.issuer.issuer}#${verified.payload.sub ?? ''}`,
            tenant,
            agent: agentOfWorkload(verified.issuer, verified.payload),
          },
        };
      }
      const token = await tokens.lookup(bearer);
      if (token === null) return { ok: false, status: 401, reason: 'bearer token is unknown or revoked' };
      if (token.kind !== 'ingest') return { ok: false, status: 403, reason: 'an investigator token cannot send spans' };
      return { ok: true, value: { principal: `token:${token.tokenId}`, tenant: token.tenant, agent: token.agent } };
    },

    async authenticateCaller(authorization) {
      const bearer = readBearer(authorization);
      if (bearer === null) return missing;
      if (hasIssuers && looksLikeJwt(bearer)) {
        const verified = await jwt.verify(bearer);
        if (!verified.ok) return { ok: false, status: 401, reason: verified.reason };
        if (verified.issuer.use === 'ingest') return { ok: false, status: 403, reason: 'JWT issuer is not allowed to read the API' };
        const role = highestRole(readStringList(verified.payload, verified.issuer.rolesClaim));
        if (role === null) return { ok: false, status: 403, reason: `JWT has no role (viewer, investigator or admin) in claim "${verified.issuer.rolesClaim}"` };
        const claimed = readStringList(verified.payload, verified.issuer.tenantClaim);
        const tenants = claimed.length > 0 ? claimed : verified.issuer.tenant === undefined ? [] : [verified.issuer.tenant];
        if (tenants.length === 0) return { ok: false, status: 403, reason: `JWT names no tenant in claim "${verified.issuer.tenantClaim}"` };
        return { ok: true, value: { principal: `jwt:${verified.issuer.issuer}#${verified.payload.sub ?? ''}`, role, tenants } };
      }
      const token = await tokens.lookup(bearer);
      if (token === null) return { ok: false, status: 401, reason: 'bearer token is unknown or revoked' };
      if (token.kind !== 'investigator' || token.role === '') return { ok: false, status: 403, reason: 'an ingest token cannot read the API' };
      return { ok: true, value: { principal: `token:${token.tokenId}`, role: token.role, tenants: token.tenants } };
    },
  };
}
