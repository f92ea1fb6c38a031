import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator } from '../../services/shared/auth/authenticator.ts';
import type { AccessToken } from '../../services/shared/auth/token-store.ts';
import { loadConfig } from '../../services/shared/config.ts';
import { closeServer } from '../../services/shared/http-server.ts';

// Credentials: agent and investigator tokens from a lookup, and workload and
// investigator JWTs checked against a JWKS served on 127.0.0.1 with keys made
// for the test.

const issuer = 'https://issuer.test';
let server: http.Server;
let jwksUri: string;
let privateKey: KeyLike;
let otherKey: KeyLike;
let authenticator: Authenticator;

const tokens: Record<string, AccessToken> = {
  'agent-token': {
    tokenId: 'a1',
    kind: 'ingest',
    tenant: 'acme',
    tenants: [],
    role: '',
    agent: 'support-agent',
    description: '',
    createdAt: '',
    createdBy: 'test',
    revokedAt: null,
  },
  'viewer-token': {
    tokenId: 'v1',
    kind: 'investigator',
    tenant: '',
    tenants: ['acme'],
    role: 'viewer',
    agent: '',
    description: '',
    createdAt: '',
    createdBy: 'test',
    revokedAt: null,
  },
};

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
  const config = loadConfig({ OIDC_ISSUERS: JSON.stringify([{ issuer, jwksUri, audience: 'agent-audit' }]) });
  authenticator = createAuthenticator({ tokens: { lookup: async (token) => tokens[token] ?? null }, security: config.security });
});

afterAll(async () => {
  await closeServer(server, 1_000);
});

function sign(claims: Record<string, unknown>, options: { key?: KeyLike; audience?: string; expiresIn?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(options.audience ?? 'agent-audit')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? privateKey);
}

describe('ingest credentials', () => {
  it('accepts an agent token with its tenant and agent', async () => {
    expect(await authenticator.authenticateIngest('Bearer agent-token')).toEqual({
      ok: true,
      value: { principal: 'token:a1', tenant: 'acme', agent: 'support-agent' },
    });
  });

  it('answers 401 without credentials or with an unknown token', async () => {
    expect(await authenticator.authenticateIngest(undefined)).toMatchObject({ ok: false, status: 401 });
    expect(await authenticator.authenticateIngest('Basic dXNlcjpwYXNz')).toMatchObject({ ok: false, status: 401 });
    expect(await authenticator.authenticateIngest('Bearer nope')).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 403 for an investigator token', async () => {
    expect(await authenticator.authenticateIngest('Bearer viewer-token')).toMatchObject({ ok: false, status: 403 });
  });

  it('accepts a Kubernetes service-account JWT', async () => {
    const jwt = await sign({ sub: 'system:serviceaccount:agents:support-agent', tenant: 'acme' });

    expect(await authenticator.authenticateIngest(`Bearer ${jwt}`)).toEqual({
      ok: true,
      value: { principal: `jwt:${issuer}#system:serviceaccount:agents:support-agent`, tenant: 'acme', agent: 'support-agent' },
    });
  });

  it('takes the agent from a SPIFFE id', async () => {
    const jwt = await sign({ sub: 'spiffe://example.org/ns/agents/sa/billing-agent', tenant: 'acme' });
    const result = await authenticator.authenticateIngest(`Bearer ${jwt}`);

    expect(result.ok).toBe(true);
    expect(result.ok ? result.value.agent : null).toBe('billing-agent');
  });

  it('answers 401 for a JWT signed by another key', async () => {
    const jwt = await sign({ sub: 'x', tenant: 'acme' }, { key: otherKey });

    expect(await authenticator.authenticateIngest(`Bearer ${jwt}`)).toEqual({
      ok: false,
      status: 401,
      reason: 'JWT signature does not match a key of its issuer',
    });
  });

  it('answers 401 for a JWT for another audience or expired', async () => {
    const otherAudience = await sign({ sub: 'x', tenant: 'acme' }, { audience: 'someone-else' });
    const expired = await sign({ sub: 'x', tenant: 'acme' }, { expiresIn: '-10m' });

    expect(await authenticator.authenticateIngest(`Bearer ${otherAudience}`)).toMatchObject({ ok: false, status: 401, reason: 'JWT claim "aud" is invalid' });
    expect(await authenticator.authenticateIngest(`Bearer ${expired}`)).toMatchObject({ ok: false, status: 401, reason: 'JWT has expired' });
  });

  it('answers 403 for a JWT without a tenant', async () => {
    expect(await authenticator.authenticateIngest(`Bearer ${await sign({ sub: 'x' })}`)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('investigator credentials', () => {
  it('accepts an investigator token with its role and tenants', async () => {
    expect(await authenticator.authenticateCaller('Bearer viewer-token')).toEqual({
      ok: true,
      value: { principal: 'token:v1', role: 'viewer', tenants: ['acme'] },
    });
  });

  it('answers 403 for an agent token', async () => {
    expect(await authenticator.authenticateCaller('Bearer agent-token')).toMatchObject({ ok: false, status: 403 });
  });

  it('takes the highest role and the tenants from an OIDC JWT', async () => {
    const jwt = await sign({ sub: 'alice', roles: ['viewer', 'investigator'], tenant: ['acme', 'globex'] });

    expect(await authenticator.authenticateCaller(`Bearer ${jwt}`)).toEqual({
      ok: true,
      value: { principal: `jwt:${issuer}#alice`, role: 'investigator', tenants: ['acme', 'globex'] },
    });
  });

  it('answers 403 for a JWT without a role', async () => {
    const jwt = await sign({ sub: 'bob', tenant: 'acme' });

    expect(await authenticator.authenticateCaller(`Bearer ${jwt}`)).toMatchObject({ ok: false, status: 403 });
  });
});
