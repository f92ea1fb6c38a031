import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TracesData } from '../../schemas/otlp.ts';
import { loadConfig } from '../../services/shared/config.ts';
import { createIngestGuard } from '../../services/shared/ingest-guard.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { CAPTURE_ATTRIBUTE, REDACTIONS_ATTRIBUTE, type RedactionRecord } from '../../services/shared/redaction/redact.ts';
import { buildSpanRows } from '../../services/shared/storage/span-store.ts';
import { agentSession, tracesData } from '../support/otlp-builders.ts';
import { generateSecrets } from '../support/secrets.ts';

// Redaction before storage: secrets planted in every place a span carries
// text must be gone from what is written to Kafka (the protobuf encoding)
// and to ClickHouse (the rows), with a record of which rule fired where.

function plantedData(secrets: ReturnType<typeof generateSecrets>): TracesData {
  const session = agentSession({ sessionId: `redaction-${randomBytes(4).toString('hex')}` });
  session.chat.attributes.push(
    {
      key: 'gen_ai.input.messages',
      value: {
        stringValue: JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: `my key is ${secrets.awsAccessKeyId} and ${secrets.privateKey}` }] },
        ]),
      },
    },
    { key: 'http.request.header.authorization', value: { stringValue: `Bearer ${secrets.bearerToken}` } },
    { key: 'db.connection_string', value: { stringValue: `postgres://app:${secrets.urlPassword}@db.internal:5432/orders` } },
    { key: 'tool.args', value: { kvlistValue: { values: [{ key: 'api_key', value: { stringValue: secrets.apiKey } }] } } },
    { key: 'customer.contact', value: { stringValue: `write to ${secrets.email}` } },
    { key: 'payload', value: { bytesValue: Buffer.from(`token=${secrets.githubToken}`) } },
  );
  session.tool.name = `execute_tool with Basic ${secrets.basicCredential}`;
  session.tool.status = { code: 2, message: `failed for card ${secrets.cardNumber}` };
  session.tool.events.push({ name: 'log', timeUnixNano: session.tool.startTimeUnixNano, attributes: [{ key: 'message', value: { stringValue: `aws secret ${secrets.awsSecretLine}` } }] });
  return tracesData(session.spans, { 'service.name': 'test-agent', 'deployment.secret': secrets.slackToken });
}

function storedText(data: TracesData): string {
  const rows = buildSpanRows(data, normalizeTraces(data));
  return `${Buffer.from(encodeTracesProtobuf(data)).toString('latin1')}\n${JSON.stringify(rows)}`;
}

function recordsOf(data: TracesData): RedactionRecord[] {
  const records: RedactionRecord[] = [];
  for (const span of data.resourceSpans[0]!.scopeSpans[0]!.spans) {
    const attribute = span.attributes.find((candidate) => candidate.key === REDACTIONS_ATTRIBUTE);
    if (attribute && 'stringValue' in attribute.value) records.push(...(JSON.parse(attribute.value.stringValue) as RedactionRecord[]));
  }
  return records;
}

const identity = { principal: 'token:test', tenant: 'default', agent: '' };

describe('redaction before storage', () => {
  it('removes planted secrets from what is written', () => {
    const secrets = generateSecrets();
    const data = plantedData(secrets);
    const guard = createIngestGuard(loadConfig({}).security);

    expect(guard.prepare(data, identity).ok).toBe(true);
    const stored = storedText(data);

    for (const [name, secret] of Object.entries(secrets)) {
      expect(stored.includes(secret), `${name} must not be stored`).toBe(false);
    }
    expect(stored).toContain('[REDACTED:aws-access-key-id]');
    expect(stored).toContain('postgres://app:[REDACTED:url-password]@db.internal:5432/orders');
    expect(stored).toContain('Bearer [REDACTED:bearer-credential]');
  });

  it('records which rule fired where, never the value', () => {
    const secrets = generateSecrets();
    const data = plantedData(secrets);
    createIngestGuard(loadConfig({}).security).prepare(data, identity);

    const records = recordsOf(data);
    const serialized = JSON.stringify(records);

    expect(records).toContainEqual({ location: 'gen_ai.input.messages', rule: 'aws-access-key-id', count: 1 });
    expect(records).toContainEqual({ location: 'gen_ai.input.messages', rule: 'private-key', count: 1 });
    expect(records).toContainEqual({ location: 'db.connection_string', rule: 'url-password', count: 1 });
    expect(records).toContainEqual({ location: 'resource:deployment.secret', rule: 'slack-token', count: 1 });
    expect(records).toContainEqual({ location: 'status.message', rule: 'payment-card', count: 1 });
    expect(records).toContainEqual({ location: 'event:log:message', rule: 'aws-secret-access-key', count: 1 });
    for (const secret of Object.values(secrets)) expect(serialized.includes(secret)).toBe(false);
  });

  it('keeps the messages attribute valid JSON', () => {
    const data = plantedData(generateSecrets());
    createIngestGuard(loadConfig({}).security).prepare(data, identity);
    const chat = data.resourceSpans[0]!.scopeSpans[0]!.spans[1]!;
    const messages = chat.attributes.find((attribute) => attribute.key === 'gen_ai.input.messages')!.value as { stringValue: string };

    expect(JSON.parse(messages.stringValue)[0].parts[0].content).toMatch(/^my key is \[REDACTED:aws-access-key-id\] and \[REDACTED:private-key\]$/);
  });

  it('leaves identifying keys to secret rules only', () => {
    const email = `agent-${randomBytes(3).toString('hex')}@example.org`;
    const session = agentSession({ sessionId: email });
    const data = tracesData(session.spans);
    createIngestGuard(loadConfig({}).security).prepare(data, identity);

    expect(normalizeTraces(data)[0]!.sessionId).toBe(email);
  });

  it('keeps only metadata under metadata_only', () => {
    const secrets = generateSecrets();
    const data = plantedData(secrets);
    const guard = createIngestGuard(loadConfig({ TENANTS: JSON.stringify({ quiet: { capture: 'metadata_only' } }) }).security);

    guard.prepare(data, { ...identity, tenant: 'quiet' });
    const chat = data.resourceSpans[0]!.scopeSpans[0]!.spans[1]!;
    const keys = chat.attributes.map((attribute) => attribute.key);

    expect(keys).toContain('gen_ai.request.model');
    expect(keys).not.toContain('gen_ai.input.messages');
    expect(keys).not.toContain('tool.args');
    expect(chat.attributes.find((attribute) => attribute.key === CAPTURE_ATTRIBUTE)?.value).toEqual({ stringValue: 'metadata_only' });
    expect(recordsOf(data)).toContainEqual({ location: 'gen_ai.input.messages', rule: 'capture-metadata-only', count: 1 });
    for (const secret of Object.values(secrets)) expect(storedText(data).includes(secret)).toBe(false);
  });

  it('stores content as sent under full', () => {
    const secrets = generateSecrets();
    const data = plantedData(secrets);
    const guard = createIngestGuard(loadConfig({ DEFAULT_CAPTURE_POLICY: 'full' }).security);

    guard.prepare(data, identity);

    expect(storedText(data)).toContain(secrets.awsAccessKeyId);
  });

  it('drops audit_trail attributes a sender sets', () => {
    const session = agentSession({ sessionId: 'forged' });
    session.root.attributes.push({ key: REDACTIONS_ATTRIBUTE, value: { stringValue: '[]' } }, { key: CAPTURE_ATTRIBUTE, value: { stringValue: 'full' } });
    const data = tracesData(session.spans);

    createIngestGuard(loadConfig({}).security).prepare(data, identity);
    const captures = session.root.attributes.filter((attribute) => attribute.key === CAPTURE_ATTRIBUTE);

    expect(captures).toEqual([{ key: CAPTURE_ATTRIBUTE, value: { stringValue: 'redacted' } }]);
    expect(session.root.attributes.some((attribute) => attribute.key === REDACTIONS_ATTRIBUTE)).toBe(false);
  });

  it('applies a configured extra rule and skips a disabled one', () => {
    const ticket = `TICKET-${randomInt(100_000, 999_999)}`;
    const email = `someone-${randomBytes(3).toString('hex')}@example.org`;
    const session = agentSession({ sessionId: 'custom' });
    session.root.attributes.push({ key: 'note', value: { stringValue: `${ticket} from ${email}` } });
    const config = loadConfig({
      REDACTION_RULES: JSON.stringify([{ id: 'ticket-id', pattern: 'TICKET-\\d{6}' }]),
      REDACTION_DISABLED_RULES: 'email',
    });

    createIngestGuard(config.security).prepare(tracesData(session.spans), identity);
    const note = session.root.attributes.find((attribute) => attribute.key === 'note')!.value;

    expect(note).toEqual({ stringValue: `[REDACTED:ticket-id] from ${email}` });
  });
});
