import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeTraces } from '../../services/shared/otlp/decode-traces.ts';
import { decodeTracesProtobuf, encodeExportResponseProtobuf, encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, tracesData } from '../support/otlp-builders.ts';

describe('OTLP protobuf', () => {
  it('round-trips trace data without losing nanoseconds', () => {
    const session = agentSession({ sessionId: 'round-trip' });
    session.chat.startTimeUnixNano = 1733333333123456789n;
    session.chat.attributes.push({ key: 'big', value: { intValue: -9007199254740993n } });
    const data = tracesData(session.spans);

    const decoded = decodeTracesProtobuf(encodeTracesProtobuf(data));

    expect(decoded).toEqual(data);
  });

  it('decodes a logs payload as spans without ids, which are rejected', () => {
    // ExportLogsServiceRequest shares field numbers with the trace request:
    // resource_logs(1) > scope_logs(2) > log_records(2). Built by hand here
    // so the test does not depend on a logs schema.
    const writer = protobuf.Writer.create();
    const logRecord = protobuf.Writer.create().uint32((1 << 3) | 1).fixed64(1733333333000000000).uint32((5 << 3) | 2).string('INFO').finish();
    const scopeLogs = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(logRecord).finish();
    const resourceLogs = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(scopeLogs).finish();
    const body = writer.uint32((1 << 3) | 2).bytes(resourceLogs).finish();

    const result = decodeTraces(body, 'protobuf');

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rejections).toHaveLength(1);
    expect(result.rejections[0]!.reason).toBe('traceId is missing');
  });

  it('reports bytes that are not protobuf', () => {
    const result = decodeTraces(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), 'protobuf');

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^protobuf body did not decode/);
  });

  it('reports nesting past the decoder limit', () => {
    // Written by hand, because protobufjs will not encode what it refuses
    // to decode: one span whose attribute nests 80 arrays.
    const lengthDelimited = (field: number) => (field << 3) | 2;
    const writer = protobuf.Writer.create();
    writer.uint32(lengthDelimited(1)).fork(); // ResourceSpans
    writer.uint32(lengthDelimited(2)).fork(); // ScopeSpans
    writer.uint32(lengthDelimited(2)).fork(); // Span
    writer.uint32(lengthDelimited(1)).bytes(new Uint8Array(16).fill(1));
    writer.uint32(lengthDelimited(2)).bytes(new Uint8Array(8).fill(2));
    writer.uint32(lengthDelimited(5)).string('deep');
    writer.uint32(lengthDelimited(9)).fork(); // KeyValue
    writer.uint32(lengthDelimited(1)).string('deep');
    writer.uint32(lengthDelimited(2)).fork(); // AnyValue
    for (let level = 0; level < 80; level += 1) {
      writer.uint32(lengthDelimited(5)).fork(); // AnyValue.array_value
      writer.uint32(lengthDelimited(1)).fork(); // ArrayValue.values
    }
    writer.uint32(lengthDelimited(1)).string('leaf');
    for (let open = 0; open < 2 * 80 + 5; open += 1) writer.ldelim();

    const result = decodeTraces(writer.finish(), 'protobuf');

    expect(result).toEqual({ ok: false, reason: 'protobuf body did not decode: values are nested deeper than the decoder allows' });
  });

  it('encodes full success as an empty response', () => {
    expect(encodeExportResponseProtobuf(0, '')).toHaveLength(0);
    expect(encodeExportResponseProtobuf(2, 'bad ids').length).toBeGreaterThan(0);
  });
});
