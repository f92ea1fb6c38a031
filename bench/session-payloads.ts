import { randomBytes, randomFillSync } from 'node:crypto';
import type { KeyValue, Span, TracesData } from '../schemas/otlp.ts';
import { encodeTracesProtobuf } from '../services/shared/otlp/protobuf.ts';
import { toOtlpJson } from '../test/support/otlp-json.ts';

// OTLP export requests that look like one agent session each: an
// invoke_agent root, then steps of a model request (with prompt and
// completion text) and a tool call (with arguments and result). Each request
// is a copy of one encoded template with a fresh trace id and session id
// written over the template's, so the load generator spends almost no CPU on
// encoding and every session is distinct.

export type PayloadEncoding = 'protobuf' | 'json';

export interface SessionShape {
  spansPerSession: number;
  /** Length of the prompt text on each model request; completions, tool arguments and results are fractions of it. */
  attributeBytes: number;
  encoding: PayloadEncoding;
}

export interface SessionPayload {
  body: Buffer;
  sessionId: string;
  traceId: string;
  spanCount: number;
}

const words = (
  'the customer order refund account policy shipping invoice tracking number status delayed warehouse '
  + 'please check verify confirm update cancel escalate ticket priority agent tool result lookup payment card '
  + 'address email phone subscription plan renewal discount coupon balance credit debit transaction pending '
  + 'approved denied review manual fraud risk score threshold limit daily weekly monthly report summary '
  + 'question answer context instruction system user assistant message reply follow up thanks hello regards'
).split(' ');

/** Text of about `length` characters from a fixed vocabulary, so it compresses like prose, not like random bytes. */
function generateText(length: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const word = words[Math.floor(Math.random() * words.length)]!;
    parts.push(word);
    size += word.length + 1;
  }
  return parts.join(' ').slice(0, length);
}

function stringAttribute(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

function intAttribute(key: string, value: number): KeyValue {
  return { key, value: { intValue: BigInt(value) } };
}

function buildSpan(traceId: string, parentSpanId: string, name: string, startNano: bigint, durationNano: bigint, kind: Span['kind'], attributes: KeyValue[]): Span {
  return {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    parentSpanId,
    traceState: '',
    name,
    kind,
    startTimeUnixNano: startNano,
    endTimeUnixNano: startNano + durationNano,
    attributes,
    events: [],
    links: [],
    status: { code: 0, message: '' },
  };
}

/** Builds the session's trace data around the given trace id and session id. */
export function buildSessionData(shape: SessionShape, traceId: string, sessionId: string): TracesData {
  const startNano = BigInt(Date.now() - 60_000) * 1_000_000n;
  const stepNano = 50_000_000n;
  const root = buildSpan(traceId, '', 'invoke_agent support-agent', startNano, stepNano * BigInt(shape.spansPerSession), 1, [
    stringAttribute('gen_ai.operation.name', 'invoke_agent'),
    stringAttribute('gen_ai.agent.name', 'support-agent'),
    stringAttribute('gen_ai.agent.id', 'agent-7f3a'),
    stringAttribute('gen_ai.conversation.id', sessionId),
    stringAttribute('gen_ai.provider.name', 'openai'),
    stringAttribute('user.id', 'customer-1042'),
  ]);
  const spans = [root];
  for (let index = 1; index < shape.spansPerSession; index += 1) {
    const spanStart = startNano + stepNano * BigInt(index);
    if (index % 2 === 1) {
      spans.push(
        buildSpan(traceId, root.spanId, 'chat gpt-4o-mini', spanStart, 40_000_000n, 3, [
          stringAttribute('gen_ai.operation.name', 'chat'),
          stringAttribute('gen_ai.provider.name', 'openai'),
          stringAttribute('gen_ai.request.model', 'gpt-4o-mini'),
          stringAttribute('gen_ai.response.model', 'gpt-4o-mini-2024-07-18'),
          stringAttribute('gen_ai.response.id', `chatcmpl-${randomBytes(12).toString('hex')}`),
          intAttribute('gen_ai.usage.input_tokens', 200 + index * 13),
          intAttribute('gen_ai.usage.output_tokens', 40 + index * 3),
          stringAttribute('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: generateText(shape.attributeBytes) }] }])),
          stringAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: generateText(shape.attributeBytes / 2) }] }])),
        ]),
      );
    } else {
      spans.push(
        buildSpan(traceId, root.spanId, 'execute_tool lookup_order', spanStart, 8_000_000n, 1, [
          stringAttribute('gen_ai.operation.name', 'execute_tool'),
          stringAttribute('gen_ai.tool.name', 'lookup_order'),
          stringAttribute('gen_ai.tool.type', 'function'),
          stringAttribute('gen_ai.tool.call.id', `call_${randomBytes(8).toString('hex')}`),
          stringAttribute('gen_ai.tool.call.arguments', JSON.stringify({ query: generateText(shape.attributeBytes / 4) })),
          stringAttribute('gen_ai.tool.call.result', JSON.stringify({ result: generateText(shape.attributeBytes / 2) })),
        ]),
      );
    }
  }
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            stringAttribute('service.name', 'support-agent'),
            stringAttribute('service.version', '1.8.2'),
            stringAttribute('deployment.environment.name', 'production'),
            stringAttribute('telemetry.sdk.name', 'opentelemetry'),
            stringAttribute('telemetry.sdk.language', 'nodejs'),
            stringAttribute('telemetry.sdk.version', '2.2.0'),
            stringAttribute('host.name', 'agent-host-3'),
            intAttribute('process.pid', 4242),
          ],
        },
        schemaUrl: '',
        scopeSpans: [{ scope: { name: '@ai-sdk/otel', version: '1.0.0', attributes: [] }, schemaUrl: '', spans }],
      },
    ],
  };
}

function findAll(haystack: Buffer, needle: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) offsets.push(at);
  return offsets;
}

/**
 * Returns a function that makes a new session payload on each call. The
 * template's trace id and the hex part of its session id are markers that
 * are found in the encoded body once and overwritten per copy.
 */
export function createPayloadFactory(shape: SessionShape): () => SessionPayload {
  const traceMarker = randomBytes(16);
  const sessionMarker = randomBytes(16).toString('hex');
  const templateSessionId = `session-${sessionMarker}`;
  const data = buildSessionData(shape, traceMarker.toString('hex'), templateSessionId);
  const template =
    shape.encoding === 'protobuf' ? Buffer.from(encodeTracesProtobuf(data)) : Buffer.from(toOtlpJson(data), 'utf8');

  // Protobuf carries the trace id as 16 raw bytes, JSON as 32 hex characters.
  const traceNeedle = shape.encoding === 'protobuf' ? traceMarker : Buffer.from(traceMarker.toString('hex'), 'ascii');
  const traceOffsets = findAll(template, traceNeedle);
  const sessionOffsets = findAll(template, Buffer.from(sessionMarker, 'ascii'));
  if (traceOffsets.length !== shape.spansPerSession || sessionOffsets.length !== 1) {
    throw new Error(`payload template has ${traceOffsets.length} trace id and ${sessionOffsets.length} session id occurrences; `
      + `expected ${shape.spansPerSession} and 1`);
  }

  const traceBytes = Buffer.alloc(16);
  return () => {
    const body = Buffer.from(template);
    randomFillSync(traceBytes);
    const traceHex = traceBytes.toString('hex');
    const traceValue = shape.encoding === 'protobuf' ? traceBytes : Buffer.from(traceHex, 'ascii');
    for (const offset of traceOffsets) traceValue.copy(body, offset);
    // The session id reuses the trace id's hex, so it is unique too.
    const sessionHex = Buffer.from(traceHex, 'ascii');
    for (const offset of sessionOffsets) sessionHex.copy(body, offset);
    return { body, sessionId: `session-${traceHex}`, traceId: traceHex, spanCount: shape.spansPerSession };
  };
}
