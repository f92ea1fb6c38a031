import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { createAccessToken, findAccessToken, generateToken, tokenIdOf } from './token-store.ts';

// The first start in embedded mode creates an ingest token and an admin
// token, stores their hashes, and writes the tokens to DATA_DIR/credentials.json
// with mode 0600, so that a laptop install is secure without setup. The log
// names the file, never the tokens.

export const CredentialsFileSchema = z.object({ ingestToken: z.string().min(1), adminToken: z.string().min(1) });
export type CredentialsFile = z.infer<typeof CredentialsFileSchema>;

export async function bootstrapCredentials(client: ClickHouseClient, config: Config, logger: Logger): Promise<void> {
  const file = config.security.credentialsFile;
  let credentials: CredentialsFile;
  if (fs.existsSync(file)) {
    const parsed = CredentialsFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`credentials file ${file} is invalid; delete it to create new credentials`);
    credentials = parsed.data;
  } else {
    credentials = { ingestToken: generateToken('ingest'), adminToken: generateToken('investigator') };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    logger.info({ credentialsFile: file }, 'created ingest and admin credentials');
  }

  // A token is registered only when its id is unknown, so a token an admin revoked stays revoked.
  if ((await findAccessToken(client, tokenIdOf(credentials.ingestToken))) === null) {
    await createAccessToken(client, {
      kind: 'ingest',
      tenant: config.security.tenants.defaultTenant,
      description: 'created on first start',
      createdBy: 'bootstrap',
      token: credentials.ingestToken,
    });
  }
  if ((await findAccessToken(client, tokenIdOf(credentials.adminToken))) === null) {
    await createAccessToken(client, {
      kind: 'investigator',
      role: 'admin',
      tenants: ['*'],
      description: 'created on first start',
      createdBy: 'bootstrap',
      token: credentials.adminToken,
    });
  }
  logger.info({ credentialsFile: file }, 'credentials for the example agent and the admin are in the credentials file');
}
