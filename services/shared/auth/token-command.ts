import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openClickHouse } from '../storage/clickhouse.ts';
import { migrate } from '../storage/migrate.ts';
import { ROLES, type Role } from './identity.ts';
import { createAccessToken, listAccessTokens, revokeAccessToken } from './token-store.ts';

// `npm run tokens -- <command>`: manages credentials straight in ClickHouse,
// with the same configuration as the services. This is how the first admin
// token of a server deployment is made; later ones can also come from
// POST /v1/admin/tokens.
//
//   create-ingest --tenant <tenant> [--agent <name>] [--description <text>]
//   create-investigator --role viewer|investigator|admin --tenant <tenant>... [--description <text>]
//   list
//   revoke <token id>
//
// A created token is printed once on standard output; only its hash is stored.

const usage = `usage: npm run tokens -- create-ingest --tenant <tenant> [--agent <name>] [--description <text>]
       npm run tokens -- create-investigator --role viewer|investigator|admin --tenant <tenant or *> [--tenant ...]
       npm run tokens -- list
       npm run tokens -- revoke <token id>`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string', multiple: true },
      agent: { type: 'string' },
      role: { type: 'string' },
      description: { type: 'string' },
    },
  });
} catch (error) {
  fail((error as Error).message);
}
const [command, ...rest] = args.positionals;

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'tokens');
const client = await openClickHouse(config, logger);
try {
  await migrate(client, logger);
  const tenants = args.values.tenant ?? [];
  if (command === 'create-ingest') {
    if (tenants.length !== 1) fail('create-ingest needs exactly one --tenant');
    const created = await createAccessToken(client, {
      kind: 'ingest',
      tenant: tenants[0]!,
      agent: args.values.agent ?? '',
      description: args.values.description ?? '',
      createdBy: 'tokens command',
    });
    process.stdout.write(`${JSON.stringify({ token: created.token, ...created.record }, null, 2)}\n`);
  } else if (command === 'create-investigator') {
    const role = args.values.role;
    if (role === undefined || !(ROLES as readonly string[]).includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
    if (tenants.length === 0) fail('create-investigator needs at least one --tenant (or --tenant "*" for all)');
    const created = await createAccessToken(client, {
      kind: 'investigator',
      role: role as Role,
      tenants,
      description: args.values.description ?? '',
      createdBy: 'tokens command',
    });
    process.stdout.write(`${JSON.stringify({ token: created.token, ...created.record }, null, 2)}\n`);
  } else if (command === 'list') {
    process.stdout.write(`${JSON.stringify(await listAccessTokens(client), null, 2)}\n`);
  } else if (command === 'revoke') {
    const tokenId = rest[0];
    if (tokenId === undefined) fail('revoke needs a token id');
    if (!(await revokeAccessToken(client, tokenId))) fail(`token "${tokenId}" was not found`);
    process.stdout.write(`revoked ${tokenId}\n`);
  } else {
    fail(command === undefined ? 'a command is required' : `unknown command "${command}"`);
  }
} finally {
  await client.close();
}
