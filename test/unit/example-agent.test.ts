import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_ID, AGENT_NAME, AGENT_OWNER, SERVICE_NAME, runSupportAgent } from '../../examples/support-agent/agent.ts';
import { AUDIT_FACTS } from '../../examples/support-agent/support-tools.ts';
import { MODEL_ID, SCRIPTED_MODEL_CALL_COUNT, SCRIPTED_TOOL_CALLS } from '../../examples/support-agent/scripted-model.ts';

// The subset of the OTLP trace protos that these checks read. Field numbers
// match opentelemetry/proto/trace/v1 and common/v1, and protobufjs skips the
// fields left out. Enums are declared as int32, which has the same encoding.
const OTLP_TRACE_SUBSET = `
syntax = "proto3";
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  fixed64 start_time_unix_nano = 7;
  repeated KeyValue attributes = 9;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
  }
}
`;
const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE_SUBSET).root.lookupType('ExportTraceServiceRequest');

type DecodedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  startTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
};

type WireKeyValue = { key: string; value?: Record<string, unknown> };
type WireSpan = {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  startTimeUnixNano: string;
  attributes: WireKeyValue[];
};
type WireRequest = {
  resourceSpans: { resource?: { attributes: WireKeyValue[] }; scopeSpans: { spans: WireSpan[] }[] }[];
};

function toRecord(attributes: WireKeyValue[]): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [key, value === undefined ? undefined : Object.values(value)[0]]),
  );
}

function decodeSpans(body: Buffer): DecodedSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  const request = ExportTraceServiceRequest.toObject(message, {
    longs: String,
    arrays: true,
    defaults: true,
  }) as WireRequest;

  return request.resourceSpans.flatMap((resourceSpans) =>
    resourceSpans.scopeSpans.flatMap((scopeSpans) =>
      scopeSpans.spans.map((span) => ({
        traceId: Buffer.from(span.traceId).toString('hex'),
        spanId: Buffer.from(span.spanId).toString('hex'),
        parentSpanId: span.parentSpanId.length === 0 ? null : Buffer.from(span.parentSpanId).toString('hex'),
        name: span.name,
        startTimeUnixNano: BigInt(span.startTimeUnixNano),
        attributes: toRecord(span.attributes),
        resource: toRecord(resourceSpans.resource?.attributes ?? []),
      })),
    ),
  );
}

type TraceRequest = { contentType: string | undefined; body: Buffer };

type OtlpReceiver = { endpoint: string; requests: TraceRequest[]; close: () => Promise<void> };

/** Starts an OTLP/HTTP receiver on 127.0.0.1 that stores every body posted to /v1/traces. */
async function startOtlpReceiver(responseStatus = 200): Promise<OtlpReceiver> {
  const requests: TraceRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      requests.push({ contentType: request.headers['content-type'], body });
      response.writeHead(responseStatus, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function isDescendant(span: DecodedSpan, ancestorSpanId: string, spansById: Map<string, DecodedSpan>): boolean {
  let parentId = span.parentSpanId;
  while (parentId !== null) {
    if (parentId === ancestorSpanId) {
      return true;
    }
    parentId = spansById.get(parentId)?.parentSpanId ?? null;
  }
  return false;
}

function byStartTime(left: DecodedSpan, right: DecodedSpan): number {
  if (left.startTimeUnixNano === right.startTimeUnixNano) {
    return 0;
  }
  return left.startTimeUnixNano < right.startTimeUnixNano ? -1 : 1;
}

/** Returns the tool call ids that the model requested in a chat span's output messages. */
function requestedToolCallIds(chatSpan: DecodedSpan): string[] {
  const output = chatSpan.attributes['gen_ai.output.messages'];
  if (typeof output !== 'string') {
    return [];
  }
  const messages = JSON.parse(output) as { parts: { type: string; id?: string }[] }[];
  return messages.flatMap((message) => message.parts.filter((part) => part.type === 'tool_call').map((part) => part.id ?? ''));
}

describe('runSupportAgent', () => {
  let receiver: OtlpReceiver | undefined;

  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('exports the session spans as OTLP protobuf', async () => {
    receiver = await startOtlpReceiver();
    const run = await runSupportAgent({ otlpEndpoint: receiver.endpoint, sessionId: 'session-test-1', userId: 'user-7' });

    expect(run.sessionId).toBe('session-test-1');
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) {
      expect(request.contentType).toBe('application/x-protobuf');
    }

    const spans = receiver.requests.flatMap((request) => decodeSpans(request.body));
    for (const span of spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.resource['service.name']).toBe(SERVICE_NAME);
    }
    expect(run.traceIds).toHaveLength(2);
    expect(new Set(run.traceIds).size).toBe(2);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set(run.traceIds));
  });

  it('marks each turn with an invoke_agent root span', async () => {
    receiver = await startOtlpReceiver();
    const run = await runSupportAgent({ otlpEndpoint: receiver.endpoint, sessionId: 'session-test-2', userId: 'user-7' });
    const spans = receiver.requests.flatMap((request) => decodeSpans(request.body));

    const roots = spans.filter((span) => span.name === `invoke_agent ${AGENT_NAME}`);
    expect(roots.map((root) => root.traceId).sort()).toEqual([...run.traceIds].sort());
    for (const root of roots) {
      expect(root.parentSpanId).toBeNull();
      expect(root.attributes['gen_ai.operation.name']).toBe('invoke_agent');
      expect(root.attributes['gen_ai.conversation.id']).toBe('session-test-2');
      expect(root.attributes['gen_ai.agent.name']).toBe(AGENT_NAME);
      expect(root.attributes['gen_ai.agent.id']).toBe(AGENT_ID);
      expect(root.attributes['user.id']).toBe('user-7');
    }
  });

  it('exports model and tool spans under the first turn', async () => {
    receiver = await startOtlpReceiver();
    const run = await runSupportAgent({ otlpEndpoint: receiver.endpoint });
    const spans = receiver.requests.flatMap((request) => decodeSpans(request.body));
    const spansById = new Map(spans.map((span) => [span.spanId, span]));

    const chatSpans = spans.filter((span) => span.attributes['gen_ai.operation.name'] === 'chat');
    expect(chatSpans).toHaveLength(SCRIPTED_MODEL_CALL_COUNT);
    for (const chatSpan of chatSpans) {
      expect(chatSpan.name).toBe(`chat ${MODEL_ID}`);
      expect(chatSpan.attributes['gen_ai.request.model']).toBe(MODEL_ID);
    }

    const firstTurnRoot = spans.find(
      (span) => span.name === `invoke_agent ${AGENT_NAME}` && span.traceId === run.traceIds[0],
    );
    expect(firstTurnRoot).toBeDefined();

    const toolSpans = spans
      .filter((span) => span.attributes['gen_ai.operation.name'] === 'execute_tool')
      .sort(byStartTime);
    expect(toolSpans.map((span) => span.name)).toEqual(
      SCRIPTED_TOOL_CALLS.map((call) => `execute_tool ${call.toolName}`),
    );
    expect(toolSpans.map((span) => span.attributes['gen_ai.tool.name'])).toEqual(
      SCRIPTED_TOOL_CALLS.map((call) => call.toolName),
    );
    expect(toolSpans.map((span) => span.attributes['gen_ai.tool.call.id'])).toEqual(
      SCRIPTED_TOOL_CALLS.map((call) => call.toolCallId),
    );
    for (const toolSpan of toolSpans) {
      expect(toolSpan.traceId).toBe(run.traceIds[0]);
      expect(isDescendant(toolSpan, firstTurnRoot?.spanId ?? '', spansById)).toBe(true);
    }

    // Every executed tool call was requested by a model response in the same trace.
    const requestedIds = chatSpans
      .filter((span) => span.traceId === run.traceIds[0])
      .flatMap((span) => requestedToolCallIds(span));
    expect(requestedIds).toEqual(SCRIPTED_TOOL_CALLS.map((call) => call.toolCallId));
  });

  it('records authority, data access and approval', async () => {
    receiver = await startOtlpReceiver();
    await runSupportAgent({ otlpEndpoint: receiver.endpoint, sessionId: 'session-test-4', userId: 'user-7' });
    const spans = receiver.requests.flatMap((request) => decodeSpans(request.body));
    const lookup = spans.find((span) => span.name === 'execute_tool lookup_order');
    const refund = spans.find((span) => span.name === 'execute_tool issue_refund');
    const roots = spans.filter((span) => span.name === `invoke_agent ${AGENT_NAME}`);

    expect(roots[0]?.resource['audit.agent.owner']).toBe(AGENT_OWNER);
    expect(roots[0]?.resource['audit.agent.id']).toBe(AGENT_ID);
    for (const root of roots) {
      expect(root.attributes['audit.principal.id']).toBe('user-7');
      expect(root.attributes['audit.principal.type']).toBe('user');
    }
    expect(lookup?.attributes['audit.data.resource']).toBe(AUDIT_FACTS.ordersTable);
    expect(lookup?.attributes['audit.data.classification']).toBe('pii');
    expect(lookup?.attributes['audit.credential.type']).toBe('workload_identity');
    expect(refund?.attributes['audit.approval.decision']).toBe('granted');
    expect(refund?.attributes['audit.approval.decided_by']).toBe(AUDIT_FACTS.refundApprover);
    expect(refund?.attributes['audit.approval.tool_call.id']).toBe(SCRIPTED_TOOL_CALLS[1].toolCallId);
    expect(refund?.attributes['audit.credential.type']).toBe('static_key');
    expect(refund?.attributes['audit.data.operation']).toBe('write');
  });

  it('defaults the session id to a UUID', async () => {
    receiver = await startOtlpReceiver();
    const first = await runSupportAgent({ otlpEndpoint: receiver.endpoint });
    const second = await runSupportAgent({ otlpEndpoint: receiver.endpoint });

    expect(first.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.sessionId).not.toBe(first.sessionId);
  });

  it('rejects when the receiver refuses the spans', async () => {
    receiver = await startOtlpReceiver(400);

    await expect(runSupportAgent({ otlpEndpoint: receiver.endpoint, sessionId: 'session-test-3' })).rejects.toThrow(
      `failed to export spans of session session-test-3 to ${receiver.endpoint}/v1/traces`,
    );
  });
});
