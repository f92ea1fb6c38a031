import type { GatewaySecurity } from '../../services/gateway/app.ts';
import type { Authenticator, AuthResult } from '../../services/shared/auth/authenticator.ts';
import type { Caller, IngestIdentity } from '../../services/shared/auth/identity.ts';
import { loadConfig } from '../../services/shared/config.ts';
import { createIngestGuard } from '../../services/shared/ingest-guard.ts';
import { RateLimiter } from '../../services/shared/rate-limiter.ts';

// Credentials for tests that build the apps without ClickHouse: fixed bearer
// tokens mapped to identities, checked by the same header parsing rules.

export const TEST_INGEST_TOKEN = 'test-ingest-token';
export const TEST_ADMIN_TOKEN = 'test-admin-token';

export const testIngestIdentity: IngestIdentity = { principal: 'token:test', tenant: 'default', agent: '' };

function bearerOf(authorization: string | undefined): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? null;
}

export function createStaticAuthenticator(
  ingest: Record<string, IngestIdentity> = { [TEST_INGEST_TOKEN]: testIngestIdentity },
  callers: Record<string, Caller> = { [TEST_ADMIN_TOKEN]: { principal: 'token:admin', role: 'admin', tenants: ['*'] } },
): Authenticator {
  const unauthenticated = { ok: false, status: 401, reason: 'missing credentials; send Authorization: Bearer <token>' } as const;
  return {
    async authenticateIngest(authorization): Promise<AuthResult<IngestIdentity>> {
      const identity = ingest[bearerOf(authorization) ?? ''];
      return identity ? { ok: true, value: identity } : unauthenticated;
    },
    async authenticateCaller(authorization): Promise<AuthResult<Caller>> {
      const caller = callers[bearerOf(authorization) ?? ''];
      return caller ? { ok: true, value: caller } : unauthenticated;
    },
  };
}

/** Gateway security with the test tokens, the default limits and redaction, and no rate limit unless given. */
export function createTestGatewaySecurity(env: Record<string, string> = {}, rateLimiter = new RateLimiter(0, 1)): GatewaySecurity {
  return {
    authenticator: createStaticAuthenticator(),
    rateLimiter,
    guard: createIngestGuard(loadConfig(env).security),
  };
}
