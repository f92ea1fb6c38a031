import type { KeyObject } from 'node:crypto';
import { createAuthenticator, type Authenticator } from './auth/authenticator.ts';
import { TokenCache } from './auth/token-store.ts';
import type { Config } from './config.ts';
import { Sealer } from './evidence/sealer.ts';
import { loadOrCreateSigningKey, loadPublicKeys, type SigningKey } from './evidence/signing-key.ts';
import { createIngestGuard, type IngestGuard } from './ingest-guard.ts';
import type { Logger } from './logger.ts';
import { HeldSessions } from './retention/legal-hold.ts';
import type { ClickHouseClient } from './storage/clickhouse.ts';

// The security pieces the services of one process share: one token cache,
// one signing key and one sealer per ClickHouse client.

export interface SecurityContext {
  authenticator: Authenticator;
  guard: IngestGuard;
  signingKey: SigningKey;
  sealer: Sealer;
  /** Keys whose seals the verify endpoint accepts: this process's own and EVIDENCE_TRUSTED_KEY_FILES. */
  trustedKeys: Map<string, KeyObject>;
  /** Sessions under legal hold, reloaded every AUTH_CACHE_TTL_MS. */
  heldSessions: HeldSessions;
}

const contexts = new WeakMap<ClickHouseClient, SecurityContext>();

export async function securityContextFor(config: Config, logger: Logger, client: ClickHouseClient): Promise<SecurityContext> {
  let context = contexts.get(client);
  if (context === undefined) {
    const signingKey = loadOrCreateSigningKey(config.security.evidence.keyFile, logger);
    const trustedKeys = loadPublicKeys(config.security.evidence.trustedKeyFiles);
    trustedKeys.set(signingKey.keyId, signingKey.publicKey);
    const heldSessions = new HeldSessions(client);
    await heldSessions.reload();
    heldSessions.start(config.security.authCacheTtlMs, (error) => logger.warn({ err: error }, 'legal hold reload failed'));
    context = {
      authenticator: createAuthenticator({ tokens: new TokenCache(client, config.security.authCacheTtlMs), security: config.security }),
      guard: createIngestGuard(config.security),
      signingKey,
      sealer: new Sealer(client, signingKey),
      trustedKeys,
      heldSessions,
    };
    contexts.set(client, context);
  }
  return context;
}
