import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTelemetryConfigError, resolveConnection } from '../src/index.ts';

let directory: string | undefined;

function writeCredentials(content: string): string {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-audit-otel-'));
  const file = path.join(directory, 'credentials.json');
  fs.writeFileSync(file, content);
  return file;
}

function generateToken(): string {
  return `aat_ingest_${randomBytes(16).toString('base64url')}`;
}

afterEach(() => {
  if (directory !== undefined) fs.rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

describe('resolveConnection', () => {
  it('defaults to the local gateway without a token', () => {
    expect(resolveConnection({ env: {} })).toEqual({
      tracesUrl: 'http://127.0.0.1:4318/v1/traces',
      token: null,
      tokenSource: 'none',
    });
  });

  it('prefers options over the environment', () => {
    const token = generateToken();
    const connection = resolveConnection({
      endpoint: 'https://gateway.test:8443/otlp/',
      token,
      env: { AGENT_AUDIT_ENDPOINT: 'http://other.test', AGENT_AUDIT_TOKEN: generateToken() },
    });

    expect(connection).toEqual({ tracesUrl: 'https://gateway.test:8443/otlp/v1/traces', token, tokenSource: 'option' });
  });

  it('reads endpoint and token from the environment', () => {
    const token = generateToken();
    const connection = resolveConnection({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.test:4318', AGENT_AUDIT_TOKEN: token } });

    expect(connection.tracesUrl).toBe('http://collector.test:4318/v1/traces');
    expect(connection.token).toBe(token);
    expect(connection.tokenSource).toBe('AGENT_AUDIT_TOKEN');
  });

  it('reads the token from a credentials file', () => {
    const token = generateToken();
    const file = writeCredentials(JSON.stringify({ ingest: { token } }));

    const connection = resolveConnection({ env: { AGENT_AUDIT_CREDENTIALS_FILE: file } });

    expect(connection.token).toBe(token);
    expect(connection.tokenSource).toBe('credentials file');
  });

  it('reports a credentials file without a token', () => {
    const file = writeCredentials('{"admin": {}}');

    expect(() => resolveConnection({ credentialsFile: file, env: {} })).toThrow(AuditTelemetryConfigError);
    expect(() => resolveConnection({ credentialsFile: file, env: {} })).toThrow(/has no ingest token/);
  });

  it('rejects an endpoint that is not http', () => {
    expect(() => resolveConnection({ endpoint: 'ftp://gateway.test', env: {} })).toThrow(/expected http or https/);
    expect(() => resolveConnection({ endpoint: 'not a url', env: {} })).toThrow(/invalid gateway endpoint/);
  });
});
