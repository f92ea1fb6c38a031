import fs from 'node:fs';

// Where the spans go and which bearer token goes with them. Options win over
// the environment, which wins over the defaults.

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

export interface ConnectionOptions {
  /** Base URL of the ingestion gateway, such as http://127.0.0.1:4318. */
  endpoint?: string;
  /** Ingest token of the agent. */
  token?: string;
  /** JSON file holding the ingest token, such as the credentials.json an embedded audit trail writes. */
  credentialsFile?: string;
  /** Environment to read defaults from; `process.env` when omitted. */
  env?: Record<string, string | undefined>;
}

export interface Connection {
  tracesUrl: string;
  /** Bearer token, or null when none was configured; a gateway that requires tokens then rejects the spans with 401. */
  token: string | null;
  /** Source of the token, for diagnostics; never the token itself. */
  tokenSource: 'option' | 'AGENT_AUDIT_TOKEN' | 'credentials file' | 'none';
}

export class AuditTelemetryConfigError extends Error {
  override name = 'AuditTelemetryConfigError';
}

/** Builds the OTLP/HTTP traces URL for a base endpoint, keeping any path prefix. */
export function buildTracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AuditTelemetryConfigError(
      `invalid gateway endpoint ${JSON.stringify(endpoint)}: expected a URL such as ${DEFAULT_ENDPOINT}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuditTelemetryConfigError(`invalid gateway endpoint ${JSON.stringify(endpoint)}: expected http or https`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/v1/traces`;
}

function readString(value: unknown, path: string[]): string | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' && current !== '' ? current : undefined;
}

/**
 * Reads the ingest token from a credentials file. Accepts `{"ingestToken": ...}`
 * and `{"ingest": {"token": ...}}`.
 */
export function readTokenFromFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AuditTelemetryConfigError(`cannot read credentials file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AuditTelemetryConfigError(`credentials file ${file} is not valid JSON`);
  }
  const token = readString(parsed, ['ingestToken']) ?? readString(parsed, ['ingest', 'token']);
  if (token === undefined) {
    throw new AuditTelemetryConfigError(`credentials file ${file} has no ingest token ("ingestToken" or "ingest.token")`);
  }
  return token;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Resolves the gateway URL and token. Endpoint: the option, then
 * AGENT_AUDIT_ENDPOINT, then OTEL_EXPORTER_OTLP_ENDPOINT, then
 * http://127.0.0.1:4318. Token: the option, then AGENT_AUDIT_TOKEN, then the
 * credentials file from the option or AGENT_AUDIT_CREDENTIALS_FILE.
 */
export function resolveConnection(options: ConnectionOptions = {}): Connection {
  const env = options.env ?? process.env;
  const endpoint =
    nonEmpty(options.endpoint) ??
    nonEmpty(env['AGENT_AUDIT_ENDPOINT']) ??
    nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']) ??
    DEFAULT_ENDPOINT;
  const tracesUrl = buildTracesUrl(endpoint);

  const optionToken = nonEmpty(options.token);
  if (optionToken !== undefined) return { tracesUrl, token: optionToken, tokenSource: 'option' };
  const envToken = nonEmpty(env['AGENT_AUDIT_TOKEN']);
  if (envToken !== undefined) return { tracesUrl, token: envToken, tokenSource: 'AGENT_AUDIT_TOKEN' };
  const file = nonEmpty(options.credentialsFile) ?? nonEmpty(env['AGENT_AUDIT_CREDENTIALS_FILE']);
  if (file !== undefined) return { tracesUrl, token: readTokenFromFile(file), tokenSource: 'credentials file' };
  return { tracesUrl, token: null, tokenSource: 'none' };
}
