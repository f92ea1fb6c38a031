import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { recordApproval, recordAuthority, recordDataAccess, startAuditTelemetry, traceApproval } from '../src/index.ts';

// An OTLP/HTTP receiver on 127.0.0.1. The checks look for attribute keys and
// values in the protobuf body, where strings are stored as plain UTF-8.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server | undefined;

async function startReceiver(status = 200): Promise<{ endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      received.push({ headers: request.headers, body: body.toString('latin1') });
      response.writeHead(status, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('startAuditTelemetry', () => {
  it('exports with the token and the agent identity', async () => {
    const { endpoint, received } = await startReceiver();
    const token = `aat_ingest_${randomBytes(16).toString('base64url')}`;
    const telemetry = startAuditTelemetry({
      endpoint,
      token,
      agent: { name: 'billing-agent', id: 'billing-agent-v2', owner: 'finance-team' },
      tenant: 'acme',
      environment: 'staging',
      env: {},
    });

    await telemetry.tracer.startActiveSpan('execute_tool charge_card', async (span) => {
      expect(recordAuthority({ principal: 'alice', credential: { type: 'api_key', id: 'key-7' } })).toBe(true);
      expect(recordDataAccess({ resource: 'postgresql:billing.cards', operation: 'read', classification: 'pii' })).toBe(true);
      expect(recordApproval({ decision: 'granted', decidedBy: 'bob', toolCallId: 'call_9' })).toBe(true);
      traceApproval({ decision: 'denied', decidedBy: 'policy:no-refunds', toolName: 'issue_refund' });
      span.end();
    });
    const errors = await telemetry.shutdown();

    expect(errors).toEqual([]);
    expect(telemetry.tokenSource).toBe('option');
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]?.headers['authorization']).toBe(`Bearer ${token}`);
    expect(received[0]?.headers['content-type']).toBe('application/x-protobuf');
    const body = received.map((request) => request.body).join('');
    for (const text of [
      'billing-agent-v2', 'finance-team', 'audit.tenant.id', 'acme', 'staging',
      'audit.credential.id', 'key-7', 'postgresql:billing.cards', 'audit.approval.decided_by',
      'approval issue_refund', 'policy:no-refunds',
    ]) {
      expect(body).toContain(text);
    }
  });

  it('returns export errors instead of throwing', async () => {
    const { endpoint } = await startReceiver(401);
    const telemetry = startAuditTelemetry({ endpoint, agent: { name: 'unauthorized-agent' }, env: {} });

    telemetry.tracer.startSpan('invoke_agent unauthorized-agent').end();
    const errors = await telemetry.shutdown();

    expect(telemetry.tokenSource).toBe('none');
    expect(errors.join('\n')).toMatch(/HTTP 401/);
  });

  it('records nothing without an active span', () => {
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(recordAuthority({ principal: 'alice' })).toBe(false);
    expect(recordDataAccess({ resource: 'doc-1', operation: 'read' })).toBe(false);
    expect(recordApproval({ decision: 'granted', decidedBy: 'bob' })).toBe(false);
  });
});
