import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { AuditError } from '../errors.ts';
import type { Role } from './identity.ts';

// Bearer tokens of agents and investigators, kept in the access_tokens table
// as SHA-256 hashes. Tokens carry 256 random bits, so a fast hash is enough:
// there is no password to guess from it.

export type TokenKind = 'ingest' | 'investigator';

export interface AccessToken {
  tokenId: string;
  kind: TokenKind;
  /** Tenant an ingest token writes to. */
  tenant: string;
  /** Tenants an investigator token may read; `*` for all. */
  tenants: string[];
  /** Role of an investigator token. */
  role: Role | '';
  /** Service or agent name an ingest token speaks for; empty when unbound. */
  agent: string;
  description: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

interface TokenRow {
  TokenId: string;
  TokenHash: string;
  Kind: string;
  Tenant: string;
  Tenants: string[];
  Role: string;
  Agent: string;
  Description: string;
  CreatedAt: string;
  CreatedBy: string;
  RevokedAt: string | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Derives a token's id from its hash, so the same token always gets the same id. */
export function tokenIdOf(token: string): string {
  return hashToken(token).slice(0, 16);
}

export function generateToken(kind: TokenKind): string {
  return `aat_${kind === 'ingest' ? 'ingest' : 'inv'}_${randomBytes(32).toString('base64url')}`;
}

function toAccessToken(row: TokenRow): AccessToken {
  return {
    tokenId: row.TokenId,
    kind: row.Kind as TokenKind,
    tenant: row.Tenant,
    tenants: row.Tenants,
    role: row.Role as Role | '',
    agent: row.Agent,
    description: row.Description,
    createdAt: fromMilliText(row.CreatedAt) ?? '',
    createdBy: row.CreatedBy,
    revokedAt: fromMilliText(row.RevokedAt),
  };
}

export interface NewToken {
  kind: TokenKind;
  tenant?: string;
  tenants?: string[];
  role?: Role;
  agent?: string;
  description?: string;
  createdBy: string;
  /** A token to register instead of a generated one (the bootstrap credentials). */
  token?: string;
}

/** Stores the hash of a new token; returns the token, which is shown once and never stored. */
export async function createAccessToken(client: ClickHouseClient, spec: NewToken): Promise<{ token: string; record: AccessToken }> {
  const token = spec.token ?? generateToken(spec.kind);
  const now = Date.now();
  const row = {
    TokenId: tokenIdOf(token),
    TokenHash: hashToken(token),
    Kind: spec.kind,
    Tenant: spec.kind === 'ingest' ? (spec.tenant ?? 'default') : '',
    Tenants: spec.kind === 'investigator' ? (spec.tenants ?? []) : [],
    Role: spec.kind === 'investigator' ? (spec.role ?? 'viewer') : '',
    Agent: spec.agent ?? '',
    Description: spec.description ?? '',
    CreatedAt: toDateTime64MilliText(now),
    CreatedBy: spec.createdBy,
    RevokedAt: null,
    Version: now * 1000,
  };
  await client.insert({ table: 'access_tokens', values: [row], format: 'JSONEachRow' });
  return {
    token,
    record: toAccessToken({ ...row, CreatedAt: String(now), RevokedAt: null }),
  };
}

const selectColumns = `TokenId, TokenHash, Kind, Tenant, Tenants, Role, Agent, Description,
  toString(toUnixTimestamp64Milli(CreatedAt)) AS CreatedAt, CreatedBy,
  if(isNull(RevokedAt), NULL, toString(toUnixTimestamp64Milli(assumeNotNull(RevokedAt)))) AS RevokedAt`;

/** Formats milliseconds since the epoch as the decimal-seconds text DateTime64(3) parses exactly. */
export function toDateTime64MilliText(unixMs: number): string {
  return (unixMs / 1000).toFixed(3);
}

function fromMilliText(text: string | null): string | null {
  return text === null ? null : new Date(Number(text)).toISOString();
}

export async function listAccessTokens(client: ClickHouseClient): Promise<AccessToken[]> {
  const result = await client.query({
    query: `SELECT ${selectColumns} FROM access_tokens FINAL ORDER BY CreatedAt, TokenId`,
    format: 'JSONEachRow',
  });
  return (await result.json<TokenRow>()).map(toAccessToken);
}

export async function findAccessToken(client: ClickHouseClient, tokenId: string): Promise<AccessToken | null> {
  const result = await client.query({
    query: `SELECT ${selectColumns} FROM access_tokens FINAL WHERE TokenId = {tokenId:String}`,
    query_params: { tokenId },
    format: 'JSONEachRow',
  });
  const rows = await result.json<TokenRow>();
  return rows[0] === undefined ? null : toAccessToken(rows[0]);
}

/** Marks a token revoked; returns false when no token has this id. */
export async function revokeAccessToken(client: ClickHouseClient, tokenId: string): Promise<boolean> {
  const result = await client.query({
    query: 'SELECT * EXCEPT (RevokedAt, Version) FROM access_tokens FINAL WHERE TokenId = {tokenId:String}',
    query_params: { tokenId },
    format: 'JSONEachRow',
  });
  const rows = await result.json<Record<string, unknown>>();
  const row = rows[0];
  if (row === undefined) return false;
  await client.insert({
    table: 'access_tokens',
    values: [{ ...row, RevokedAt: toDateTime64MilliText(Date.now()), Version: Date.now() * 1000 + 1 }],
    format: 'JSONEachRow',
  });
  return true;
}

interface CachedToken {
  hash: Buffer;
  token: AccessToken;
}

/**
 * Serves token lookups from memory, reloading the active tokens when the
 * cache is older than ttlMs. An unknown token reloads at most once a second,
 * so a new token works within about a second, and a revoked one stops
 * within ttlMs, while a flood of invalid ones costs one query a second.
 */
export class TokenCache {
  readonly #client: ClickHouseClient;
  readonly #ttlMs: number;
  #byHash = new Map<string, CachedToken>();
  #loadedAtMs = Number.NEGATIVE_INFINITY;
  #attemptedAtMs = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | null = null;

  constructor(client: ClickHouseClient, ttlMs: number) {
    this.#client = client;
    this.#ttlMs = ttlMs;
  }

  async lookup(token: string): Promise<AccessToken | null> {
    const hash = hashToken(token);
    const age = performance.now() - this.#loadedAtMs;
    if (age > this.#ttlMs) await this.#refresh();
    let found = this.#byHash.get(hash);
    if (found === undefined && performance.now() - this.#loadedAtMs > 1_000) {
      await this.#refresh();
      found = this.#byHash.get(hash);
    }
    if (found === undefined) return null;
    // The map lookup already matched the hash; the constant-time compare keeps that true if the map ever changes.
    return timingSafeEqual(found.hash, Buffer.from(hash, 'hex')) ? found.token : null;
  }

  /**
   * Reloads the tokens, at most one attempt a second. While ClickHouse cannot
   * be reached, the tokens loaded before stay in use, so the gateway keeps
   * taking spans into Kafka during a ClickHouse outage. Before the first
   * successful load, the lookup fails as unavailable (503 with Retry-After).
   */
  async #refresh(): Promise<void> {
    if (this.#loading === null && performance.now() - this.#attemptedAtMs < 1_000) return;
    this.#attemptedAtMs = performance.now();
    try {
      await this.#reload();
    } catch (error) {
      if (this.#loadedAtMs === Number.NEGATIVE_INFINITY) {
        throw new AuditError('unavailable', 'credentials cannot be checked now; retry later', { cause: error });
      }
      // NOTE: a token revoked during a ClickHouse outage stays valid until a reload succeeds.
    }
  }

  #reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const result = await this.#client.query({
          query: `SELECT ${selectColumns} FROM access_tokens FINAL WHERE isNull(RevokedAt)`,
          format: 'JSONEachRow',
        });
        const byHash = new Map<string, CachedToken>();
        for (const row of await result.json<TokenRow>()) {
          byHash.set(row.TokenHash, { hash: Buffer.from(row.TokenHash, 'hex'), token: toAccessToken(row) });
        }
        this.#byHash = byHash;
        this.#loadedAtMs = performance.now();
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
}
