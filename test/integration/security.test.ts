import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAccessToken } from '../../services/shared/auth/token-store.ts';
import { publicKeyFileOf } from '../../services/shared/evidence/signing-key.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import type { TracesData } from '../../schemas/otlp.ts';
import { agentSession, newTraceId, tracesData } from '../support/otlp-builders.ts';
import { readJson, startPipeline, testKafka, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { generateSecrets } from '../support/secrets.ts';

// The trust properties of the whole pipeline (gateway, Kafka, writer,
// ClickHouse, API): credentials everywhere, tenants that cannot read each
// other, an access log, redaction before anything is stored, tamper evidence
// and legal holds under a short retention.

const verifyBundleScript = fileURLToPath(new URL('../../services/shared/evidence/verify-bundle-command.ts', import.meta.url));
let pipeline: TestPipeline;
let logText = '';
const tokens = { acmeAgent: '', acmeAgentId: '', globexAgent: '', shortAgent: '', acmeViewer: '', acmeInvestigator: '' };

beforeAll(async () => {
  const logs = new PassThrough();
  logs.on('data', (chunk: Buffer) => {
    logText += chunk.toString('utf8');
  });
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'security',
    { AUTH_CACHE_TTL_MS: '200', TENANTS: JSON.stringify({ short: { retentionDays: 1 } }), LOG_LEVEL: 'debug' },
    logs,
  );
  const create = (spec: Parameters<typeof createAccessToken>[1]) => createAccessToken(pipeline.clickhouse, spec);
  const acmeAgent = await create({ kind: 'ingest', tenant: 'acme', agent: 'test-agent', createdBy: 'test' });
  tokens.acmeAgent = acmeAgent.token;
  tokens.acmeAgentId = acmeAgent.record.tokenId;
  tokens.globexAgent = (await create({ kind: 'ingest', tenant: 'globex', createdBy: 'test' })).token;
  tokens.shortAgent = (await create({ kind: 'ingest', tenant: 'short', createdBy: 'test' })).token;
  tokens.acmeViewer = (await create({ kind: 'investigator', role: 'viewer', tenants: ['acme'], createdBy: 'test' })).token;
  tokens.acmeInvestigator = (await create({ kind: 'investigator', role: 'investigator', tenants: ['acme'], createdBy: 'test' })).token;
});

afterAll(async () => {
  await pipeline?.stop();
});

function postSpans(token: string, data: TracesData): Promise<Response> {
  return fetch(`${pipeline.gatewayUrl}/v1/traces`, {
    method: 'POST',
    body: encodeTracesProtobuf(data),
    headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${token}` },
  });
}

function getApi(token: string, pathAndQuery: string): Promise<Response> {
  return fetch(`${pipeline.apiUrl}${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` } });
}

async function sendSession(token: string, label: string, startMs?: number) {
  const sessionId = `${label}-${newTraceId()}`;
  const session = agentSession({ sessionId, ...(startMs === undefined ? {} : { startMs }) });
  const response = await postSpans(token, tracesData(session.spans));
  expect(response.status).toBe(200);
  return { sessionId, session };
}

/** Waits until the session's three spans are stored and sealed. */
async function waitForSealed(sessionId: string) {
  return waitFor(
    async () => {
      const response = await getApi(pipeline.adminToken, `/v1/sessions/${encodeURIComponent(sessionId)}/verify`);
      if (response.status !== 200) return undefined;
      const result = await readJson(response);
      return result.spanCount === 3 && result.status === 'intact' ? result : undefined;
    },
    { what: `sealed session ${sessionId}` },
  );
}

async function mutate(sql: string, params: Record<string, unknown>): Promise<void> {
  await pipeline.clickhouse.command({ query: sql, query_params: params, clickhouse_settings: { mutations_sync: '2' } });
}

describe('credentials', () => {
  it('answers 401 without credentials, health checks aside', async () => {
    const gateway = await fetch(`${pipeline.gatewayUrl}/v1/traces`, {
      method: 'POST',
      body: encodeTracesProtobuf(tracesData(agentSession({ sessionId: 'anonymous' }).spans)),
      headers: { 'Content-Type': 'application/x-protobuf' },
    });
    const api = await fetch(`${pipeline.apiUrl}/v1/sessions`);
    const openapi = await fetch(`${pipeline.apiUrl}/openapi.json`);
    const health = await fetch(`${pipeline.apiUrl}/healthz`);

    expect(gateway.status).toBe(401);
    expect(api.status).toBe(401);
    expect(openapi.status).toBe(401);
    expect(health.status).toBe(200);
  });

  it('keeps agent and investigator credentials apart and checks roles', async () => {
    const { sessionId } = await sendSession(tokens.acmeAgent, 'roles');
    await waitForSealed(sessionId);

    expect((await getApi(tokens.acmeAgent, '/v1/sessions')).status).toBe(403);
    expect((await postSpans(tokens.acmeViewer, tracesData(agentSession({ sessionId: 'x' }).spans))).status).toBe(403);
    expect((await getApi(tokens.acmeViewer, `/v1/sessions/${sessionId}/timeline`)).status).toBe(200);
    expect((await getApi(tokens.acmeViewer, `/v1/sessions/${sessionId}/verify`)).status).toBe(403);
    expect((await getApi(tokens.acmeViewer, `/v1/sessions/${sessionId}/export`)).status).toBe(403);
    expect((await getApi(tokens.acmeInvestigator, `/v1/sessions/${sessionId}/verify`)).status).toBe(200);
    expect((await getApi(tokens.acmeInvestigator, '/v1/admin/access-log')).status).toBe(403);
  });

  it('stores the ingest principal beside every span', async () => {
    const { session } = await sendSession(tokens.acmeAgent, 'principal');
    const rows = await waitFor(
      async () => {
        const result = await pipeline.clickhouse.query({
          query: 'SELECT Tenant, IngestPrincipal, IngestAgent FROM audit_events WHERE TraceId = {t:String}',
          query_params: { t: session.traceId },
          format: 'JSONEachRow',
        });
        const found = await result.json<{ Tenant: string; IngestPrincipal: string; IngestAgent: string }>();
        return found.length === 3 ? found : undefined;
      },
      { what: 'stored spans' },
    );

    expect(new Set(rows.map((row) => JSON.stringify(row)))).toEqual(
      new Set([JSON.stringify({ Tenant: 'acme', IngestPrincipal: `token:${tokens.acmeAgentId}`, IngestAgent: 'test-agent' })]),
    );
  });

  it('stops accepting a revoked token', async () => {
    const created = await createAccessToken(pipeline.clickhouse, { kind: 'ingest', tenant: 'acme', createdBy: 'test' });
    // A new token works once the gateway's token cache has reloaded.
    const accepted = await waitFor(
      async () => {
        const response = await postSpans(created.token, tracesData(agentSession({ sessionId: `revoke-${newTraceId()}` }).spans));
        return response.status === 200 ? response.status : undefined;
      },
      { what: 'the new token to be accepted' },
    );
    expect(accepted).toBe(200);

    const revoke = await fetch(`${pipeline.apiUrl}/v1/admin/tokens/${created.record.tokenId}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${pipeline.adminToken}` },
    });
    const status = await waitFor(
      async () => {
        const response = await postSpans(created.token, tracesData(agentSession({ sessionId: `revoke-${newTraceId()}` }).spans));
        return response.status === 401 ? response.status : undefined;
      },
      { what: 'revocation to take effect' },
    );

    expect(revoke.status).toBe(204);
    expect(status).toBe(401);
  });
});

describe('tenants', () => {
  it('cannot read each other\u2019s sessions', async () => {
    const acme = await sendSession(tokens.acmeAgent, 'acme');
    const globex = await sendSession(tokens.globexAgent, 'globex');
    await waitForSealed(acme.sessionId);
    await waitForSealed(globex.sessionId);

    const list = await readJson(await getApi(tokens.acmeInvestigator, '/v1/sessions?limit=500'));
    const ids = list.sessions.map((summary: { sessionId: string }) => summary.sessionId);

    expect(ids).toContain(acme.sessionId);
    expect(ids).not.toContain(globex.sessionId);
    for (const route of ['timeline', 'verify', 'evidence', 'export']) {
      const response = await getApi(tokens.acmeInvestigator, `/v1/sessions/${globex.sessionId}/${route}`);
      expect(response.status, route).toBe(404);
    }
    expect((await getApi(tokens.acmeInvestigator, `/v1/sessions/${acme.sessionId}/timeline`)).status).toBe(200);
    // resource_access has no Tenant column, so a tenant-scoped caller reads nothing from it.
    const resourceAccess = await getApi(tokens.acmeInvestigator, '/v1/resources/orders/access');
    expect(resourceAccess.status).toBe(200);
    const byTool = await readJson(await getApi(tokens.acmeInvestigator, '/v1/sessions?tool=lookup_order&limit=500'));
    expect(byTool.sessions.map((summary: { sessionId: string }) => summary.sessionId)).not.toContain(globex.sessionId);
  });

  it('records each read in the access log', async () => {
    const { sessionId } = await sendSession(tokens.acmeAgent, 'logged');
    await waitForSealed(sessionId);

    await getApi(tokens.acmeViewer, `/v1/sessions/${sessionId}/timeline`);
    await getApi(tokens.acmeInvestigator, `/v1/sessions/${sessionId}/verify`);
    const log = await readJson(await getApi(pipeline.adminToken, `/v1/admin/access-log?sessionId=${sessionId}`));
    const actions = log.entries.map((entry: { action: string; role: string }) => `${entry.role} ${entry.action}`);

    expect(actions).toEqual(expect.arrayContaining(['viewer session.read', 'investigator session.verify']));
    expect(log.entries.every((entry: { principal: string }) => entry.principal.startsWith('token:'))).toBe(true);
  });
});

describe('redaction', () => {
  it('keeps planted secrets out of Kafka, ClickHouse, logs and answers', async () => {
    const secrets = generateSecrets();
    const sessionId = `secrets-${newTraceId()}`;
    const session = agentSession({ sessionId });
    session.chat.attributes.push(
      { key: 'gen_ai.input.messages', value: { stringValue: JSON.stringify([{ role: 'user', content: `use ${secrets.apiKey} and ${secrets.awsAccessKeyId}` }]) } },
      { key: 'http.request.header.authorization', value: { stringValue: `Bearer ${secrets.bearerToken}` } },
      { key: 'db.url', value: { stringValue: `mysql://root:${secrets.urlPassword}@10.0.0.5/app` } },
      { key: 'key.material', value: { stringValue: secrets.privateKey } },
    );
    session.tool.status = { code: 2, message: `card ${secrets.cardNumber} declined for ${secrets.email}` };
    expect((await postSpans(tokens.acmeAgent, tracesData(session.spans))).status).toBe(200);
    await waitForSealed(sessionId);

    const tables = await Promise.all(
      ['otel_traces', 'audit_events', 'session_index'].map(async (table) => {
        const result = await pipeline.clickhouse.query({ query: `SELECT * FROM ${table} WHERE TraceId = {t:String}`, query_params: { t: session.traceId }, format: 'JSONEachRow' });
        return result.text();
      }),
    );
    const kafkaText = await readTopicText(pipeline.names.spansTopic);
    const answers = await Promise.all(
      [`/v1/sessions/${sessionId}/timeline?content=full`, `/v1/sessions/${sessionId}/export`, `/v1/sessions/${sessionId}/evidence`].map(async (route) =>
        (await getApi(pipeline.adminToken, route)).text(),
      ),
    );

    expect(tables.join('')).toContain('[REDACTED:api-key-sk]');
    expect(kafkaText).toContain('[REDACTED:api-key-sk]');
    for (const [name, secret] of Object.entries(secrets)) {
      expect(tables.join('\n').includes(secret), `${name} in ClickHouse`).toBe(false);
      expect(kafkaText.includes(secret), `${name} in Kafka`).toBe(false);
      expect(answers.join('\n').includes(secret), `${name} in API answers`).toBe(false);
      expect(logText.includes(secret), `${name} in logs`).toBe(false);
    }
  });
});

/** Reads every message of a topic and returns their values as one latin1 string. */
async function readTopicText(topic: string): Promise<string> {
  const kafka = testKafka(inject('kafkaBrokers'));
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const expected = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  const consumer = kafka.consumer({ groupId: `security-reader-${newTraceId()}`, maxWaitTimeInMs: 200 });
  let text = '';
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      text += `${message.value?.toString('latin1') ?? ''}\n`;
      seen += 1;
    },
  });
  await waitFor(async () => (seen >= expected ? true : undefined), { what: `${expected} messages of ${topic}` });
  await consumer.disconnect();
  return text;
}

describe('tamper evidence', () => {
  it('detects an edited row', async () => {
    const { sessionId, session } = await sendSession(tokens.acmeAgent, 'edit');
    await waitForSealed(sessionId);

    await mutate("ALTER TABLE otel_traces UPDATE StatusMessage = 'all good' WHERE TraceId = {t:String} AND SpanId = {s:String}", {
      t: session.traceId,
      s: session.tool.spanId,
    });
    const result = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/verify`));

    expect(result.status).toBe('tampered');
    expect(result.changed).toEqual([{ traceId: session.traceId, spanId: session.tool.spanId }]);
    expect(result.missing).toEqual([]);
  });

  it('detects a deleted row', async () => {
    const { sessionId, session } = await sendSession(tokens.acmeAgent, 'delete');
    await waitForSealed(sessionId);

    for (const table of ['otel_traces', 'audit_events']) {
      await mutate(`ALTER TABLE ${table} DELETE WHERE TraceId = {t:String} AND SpanId = {s:String}`, { t: session.traceId, s: session.chat.spanId });
    }
    const result = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/verify`));

    expect(result.status).toBe('tampered');
    expect(result.missing).toEqual([{ traceId: session.traceId, spanId: session.chat.spanId }]);
    expect(result.changed).toEqual([]);
  });

  it('detects reordered steps', async () => {
    const { sessionId, session } = await sendSession(tokens.acmeAgent, 'reorder');
    await waitForSealed(sessionId);

    // A replacement row that moves the tool call before the model request;
    // FINAL shows the newest row of a span.
    await pipeline.clickhouse.command({
      query: `INSERT INTO audit_events SELECT * REPLACE (StartTime - INTERVAL 1 SECOND AS StartTime)
              FROM audit_events WHERE TraceId = {t:String} AND SpanId = {s:String}`,
      query_params: { t: session.traceId, s: session.tool.spanId },
    });
    const timeline = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/timeline`));
    const result = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/verify`));

    expect(timeline.steps.map((step: { spanId: string }) => step.spanId).indexOf(session.tool.spanId)).toBe(1);
    expect(result.status).toBe('tampered');
    expect(result.changed).toEqual([{ traceId: session.traceId, spanId: session.tool.spanId }]);
  });

  it('detects a deleted seal', async () => {
    const sessionId = `two-seals-${newTraceId()}`;
    const first = agentSession({ sessionId });
    const second = agentSession({ sessionId });
    await postSpans(tokens.acmeAgent, tracesData(first.spans));
    await waitForSealed(sessionId);
    await postSpans(tokens.acmeAgent, tracesData(second.spans));
    await waitFor(
      async () => {
        const result = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/verify`));
        return result.spanCount === 6 && result.status === 'intact' ? result : undefined;
      },
      { what: 'second seal' },
    );

    await mutate('ALTER TABLE evidence_seals DELETE WHERE SessionId = {s:String} AND Sequence = 1', { s: sessionId });
    const result = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/verify`));

    expect(result.status).toBe('tampered');
    expect(result.sealProblems).toContain(`seal 1 of session "${sessionId}" is missing from its chain`);
  });

  it('verifies an exported bundle offline with the public key', async () => {
    const { sessionId } = await sendSession(tokens.acmeAgent, 'bundle');
    await waitForSealed(sessionId);
    const evidence = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${sessionId}/evidence`));
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-bundle-'));
    const bundleFile = path.join(directory, 'bundle.json');
    const publicKey = publicKeyFileOf(pipeline.config.security.evidence.keyFile);

    fs.writeFileSync(bundleFile, JSON.stringify({ evidence }));
    const intact = await runVerifyBundle(bundleFile, publicKey);
    evidence.spans[0].audit[6] = 'renamed step';
    fs.writeFileSync(bundleFile, JSON.stringify({ evidence }));
    const tampered = await runVerifyBundle(bundleFile, publicKey);
    fs.rmSync(directory, { recursive: true, force: true });

    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout).status).toBe('intact');
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout).changed).toEqual([{ traceId: evidence.spans[0].traceId, spanId: evidence.spans[0].spanId }]);
  });
});

function runVerifyBundle(bundleFile: string, publicKey: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [verifyBundleScript, bundleFile, '--public-key', publicKey], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

describe('retention and legal hold', () => {
  it('keeps a held session past its tenant\u2019s TTL and records the hold', async () => {
    const threeDaysAgo = Date.now() - 3 * 86_400_000;
    const held = await sendSession(tokens.shortAgent, 'held');
    await waitForSealed(held.sessionId);
    const hold = await fetch(`${pipeline.apiUrl}/v1/sessions/${held.sessionId}/legal-hold`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${pipeline.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'litigation' }),
    });
    // Old spans of the held session arrive after the hold; the writer marks them held.
    const heldOld = agentSession({ sessionId: held.sessionId, startMs: threeDaysAgo });
    expect((await postSpans(tokens.shortAgent, tracesData(heldOld.spans))).status).toBe(200);
    const expiring = await sendSession(tokens.shortAgent, 'expiring', threeDaysAgo);
    const count = async (traceId: string) => {
      const result = await pipeline.clickhouse.query({
        query: 'SELECT count() AS count FROM audit_events WHERE TraceId = {t:String}',
        query_params: { t: traceId },
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ count: string }>())[0]?.count ?? 0);
    };
    await waitFor(async () => ((await count(heldOld.traceId)) === 3 ? true : undefined), { what: 'old held spans stored' });

    await waitFor(
      async () => {
        for (const table of ['otel_traces', 'audit_events', 'session_index']) {
          await pipeline.clickhouse.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
        }
        return (await count(expiring.session.traceId)) === 0 ? true : undefined;
      },
      { what: 'the TTL to delete the expired session' },
    );
    const log = await readJson(await getApi(pipeline.adminToken, `/v1/admin/access-log?sessionId=${held.sessionId}&action=legal_hold.set`));
    const expiredVerify = await readJson(await getApi(pipeline.adminToken, `/v1/sessions/${expiring.sessionId}/verify`));

    expect(hold.status).toBe(200);
    expect(await count(heldOld.traceId)).toBe(3);
    expect(await count(held.session.traceId)).toBe(3);
    expect(log.entries).toHaveLength(1);
    expect(expiredVerify).toMatchObject({ status: 'intact', expired: 3, missing: [] });
  });
});
