import { describe, expect, it } from 'vitest';
import { decodeTraces } from '../../services/shared/otlp/decode-traces.ts';
import { decodeTracesJson, OtlpJsonError } from '../../services/shared/otlp/json.ts';

function body(spans: unknown[]): string {
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] });
}

const traceId = '5b8efff798038103d269b633813fc60c';
const spanId = 'eee19b7ec3c1b174';

describe('OTLP/JSON decoding', () => {
  it('reads 64-bit times as strings, large numbers and low/high objects', () => {
    const text =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[' +
      `{"traceId":"${traceId}","spanId":"${spanId}","name":"a","startTimeUnixNano":"1733333333123456789","endTimeUnixNano":1733333333987654321},` +
      `{"traceId":"${traceId}","spanId":"eee19b7ec3c1b175","name":"b","startTimeUnixNano":{"low":1,"high":403567000}}` +
      ']}]}]}';
    const { data, rejections } = decodeTracesJson(text);
    const spans = data.resourceSpans[0]!.scopeSpans[0]!.spans;

    expect(rejections).toEqual([]);
    expect(spans[0]!.startTimeUnixNano).toBe(1733333333123456789n);
    expect(spans[0]!.endTimeUnixNano).toBe(1733333333987654321n);
    expect(spans[1]!.startTimeUnixNano).toBe((403567000n << 32n) | 1n);
  });

  it('lowercases upper-case hex ids', () => {
    const { data } = decodeTracesJson(body([{ traceId: traceId.toUpperCase(), spanId: spanId.toUpperCase(), startTimeUnixNano: '1' }]));
    const span = data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;

    expect(span.traceId).toBe(traceId);
    expect(span.spanId).toBe(spanId);
  });

  it('rejects a base64 id alone and keeps the other spans', () => {
    const result = decodeTraces(
      Buffer.from(
        body([
          { traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: '7uGbfsPBsXQ=', startTimeUnixNano: '1' },
          { traceId, spanId, startTimeUnixNano: '1' },
        ]),
      ),
      'json',
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rejections).toHaveLength(1);
    expect(result.rejections[0]!.reason).toMatch(/not hex.*base64/);
    expect(result.data.resourceSpans[0]!.scopeSpans[0]!.spans).toHaveLength(1);
  });

  it('rejects spans with missing or empty ids', () => {
    const result = decodeTraces(Buffer.from(body([{ name: 'no ids', startTimeUnixNano: '1' }, { traceId, spanId: '', startTimeUnixNano: '1' }])), 'json');

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rejections.map((rejection) => rejection.reason)).toEqual(['traceId is missing', 'spanId is missing']);
  });

  it('keeps typed attribute values', () => {
    const { data } = decodeTracesJson(
      body([
        {
          traceId,
          spanId,
          startTimeUnixNano: '1',
          attributes: [
            { key: 's', value: { stringValue: 'x' } },
            { key: 'i', value: { intValue: '9007199254740993' } },
            { key: 'd', value: { doubleValue: 1.5 } },
            { key: 'b', value: { boolValue: true } },
            { key: 'a', value: { arrayValue: { values: [{ stringValue: 'p' }, { intValue: 2 }] } } },
          ],
        },
      ]),
    );
    const attributes = data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes;

    expect(attributes).toEqual([
      { key: 's', value: { stringValue: 'x' } },
      { key: 'i', value: { intValue: 9007199254740993n } },
      { key: 'd', value: { doubleValue: 1.5 } },
      { key: 'b', value: { boolValue: true } },
      { key: 'a', value: { arrayValue: { values: [{ stringValue: 'p' }, { intValue: 2n }] } } },
    ]);
  });

  it('throws on JSON cut mid-value', () => {
    expect(() => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8e')).toThrow(OtlpJsonError);
  });

  it('throws when resourceSpans is not an array', () => {
    expect(() => decodeTracesJson('{"resourceSpans":{"spans":[]}}')).toThrow(/resourceSpans/);
  });

  it('names the body when it is not an object', () => {
    expect(() => decodeTracesJson('[1,2,3]')).toThrow(
      'body is not an OTLP ExportTraceServiceRequest: body: Invalid input: expected object, received array',
    );
  });

  it('rejects a span field of the wrong type with its path', () => {
    const result = decodeTraces(Buffer.from(body([{ traceId, spanId, startTimeUnixNano: '1', kind: 'CLIENT' }])), 'json');

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rejections[0]!.reason).toMatch(/^kind:/);
  });
});
