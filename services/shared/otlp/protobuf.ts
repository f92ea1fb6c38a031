import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type Long from 'long';
import type {
  AnyValue,
  KeyValue,
  ResourceSpans,
  Span,
  SpanKind,
  StatusCode,
  TracesData,
} from '../../../schemas/otlp.ts';
import { bytesToHex, hexToBytes } from './ids.ts';

const protoPath = fileURLToPath(new URL('../../../schemas/otlp/otlp.proto', import.meta.url));
export const otlpProtoRoot = protobuf.loadSync(protoPath);
const root = otlpProtoRoot;
const TracesDataType = root.lookupType('opentelemetry.proto.TracesData');
const ExportTraceServiceResponseType = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');
const RpcStatusType = root.lookupType('opentelemetry.proto.RpcStatus');

// Shapes of the objects protobufjs decodes to. 64-bit fields are Long
// instances because the long package is installed. A field absent on the
// wire may be missing from the object, so every read supplies the proto3
// default itself.
export interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Long | number;
  doubleValue?: number;
  bytesValue?: Uint8Array;
  arrayValue?: { values: WireAnyValue[] };
  kvlistValue?: { values: WireKeyValue[] };
  value?: string;
}
export interface WireKeyValue {
  key?: string;
  value?: WireAnyValue | null;
}
interface WireSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  traceState?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Long | number;
  endTimeUnixNano?: Long | number;
  attributes?: WireKeyValue[];
  events?: { timeUnixNano?: Long | number; name?: string; attributes?: WireKeyValue[] }[];
  links?: { traceId?: Uint8Array; spanId?: Uint8Array; traceState?: string; attributes?: WireKeyValue[] }[];
  status?: { code?: number; message?: string } | null;
}
interface WireTracesData {
  resourceSpans?: {
    resource?: { attributes?: WireKeyValue[] } | null;
    schemaUrl?: string;
    scopeSpans?: {
      scope?: { name?: string; version?: string; attributes?: WireKeyValue[] } | null;
      schemaUrl?: string;
      spans?: WireSpan[];
    }[];
  }[];
}

export function toUnsignedBigInt(value: Long | number | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function toSignedBigInt(value: Long | number | undefined): bigint {
  return BigInt.asIntN(64, toUnsignedBigInt(value));
}

export function fromWireValue(value: WireAnyValue | null | undefined): AnyValue {
  // `value` names the oneof member that was set on the wire.
  switch (value?.value) {
    case 'stringValue':
      return { stringValue: value.stringValue ?? '' };
    case 'boolValue':
      return { boolValue: value.boolValue ?? false };
    case 'intValue':
      return { intValue: toSignedBigInt(value.intValue ?? 0) };
    case 'doubleValue':
      return { doubleValue: value.doubleValue ?? 0 };
    case 'bytesValue':
      return { bytesValue: value.bytesValue ?? new Uint8Array() };
    case 'arrayValue':
      return { arrayValue: { values: (value.arrayValue?.values ?? []).map(fromWireValue) } };
    case 'kvlistValue':
      return { kvlistValue: { values: fromWireAttributes(value.kvlistValue?.values ?? []) } };
    default:
      return {};
  }
}

export function fromWireAttributes(attributes: WireKeyValue[] | undefined): KeyValue[] {
  return (attributes ?? []).map((attribute) => ({ key: attribute.key ?? '', value: fromWireValue(attribute.value) }));
}

function fromWireSpan(span: WireSpan): Span {
  return {
    traceId: bytesToHex(span.traceId),
    spanId: bytesToHex(span.spanId),
    parentSpanId: bytesToHex(span.parentSpanId),
    traceState: span.traceState ?? '',
    name: span.name ?? '',
    kind: (span.kind !== undefined && span.kind >= 0 && span.kind <= 5 ? span.kind : 0) as SpanKind,
    startTimeUnixNano: toUnsignedBigInt(span.startTimeUnixNano),
    endTimeUnixNano: toUnsignedBigInt(span.endTimeUnixNano),
    attributes: fromWireAttributes(span.attributes),
    events: (span.events ?? []).map((event) => ({
      timeUnixNano: toUnsignedBigInt(event.timeUnixNano),
      name: event.name ?? '',
      attributes: fromWireAttributes(event.attributes),
    })),
    links: (span.links ?? []).map((link) => ({
      traceId: bytesToHex(link.traceId),
      spanId: bytesToHex(link.spanId),
      traceState: link.traceState ?? '',
      attributes: fromWireAttributes(link.attributes),
    })),
    status: {
      code: (span.status?.code === 1 || span.status?.code === 2 ? span.status.code : 0) as StatusCode,
      message: span.status?.message ?? '',
    },
  };
}

/**
 * Decodes an OTLP ExportTraceServiceRequest or TracesData (the two are
 * wire-identical). Throws protobufjs' error when the bytes are not a valid
 * message; id lengths are checked later, per span.
 */
export function decodeTracesProtobuf(bytes: Uint8Array): TracesData {
  const wire = TracesDataType.decode(bytes) as unknown as WireTracesData;
  return {
    resourceSpans: (wire.resourceSpans ?? []).map(
      (resourceSpans): ResourceSpans => ({
        resource: { attributes: fromWireAttributes(resourceSpans.resource?.attributes) },
        schemaUrl: resourceSpans.schemaUrl ?? '',
        scopeSpans: (resourceSpans.scopeSpans ?? []).map((scopeSpans) => ({
          scope: {
            name: scopeSpans.scope?.name ?? '',
            version: scopeSpans.scope?.version ?? '',
            attributes: fromWireAttributes(scopeSpans.scope?.attributes),
          },
          schemaUrl: scopeSpans.schemaUrl ?? '',
          spans: (scopeSpans.spans ?? []).map(fromWireSpan),
        })),
      }),
    ),
  };
}

export function toWireValue(value: AnyValue): object {
  if ('intValue' in value) return { intValue: value.intValue.toString() };
  if ('arrayValue' in value) return { arrayValue: { values: value.arrayValue.values.map(toWireValue) } };
  if ('kvlistValue' in value) return { kvlistValue: { values: toWireAttributes(value.kvlistValue.values) } };
  return value;
}

export function toWireAttributes(attributes: readonly KeyValue[]): object[] {
  return attributes.map(({ key, value }) => ({ key, value: toWireValue(value) }));
}

function toWireSpan(span: Span): object {
  return {
    traceId: hexToBytes(span.traceId),
    spanId: hexToBytes(span.spanId),
    parentSpanId: hexToBytes(span.parentSpanId),
    traceState: span.traceState,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: toWireAttributes(span.attributes),
    events: span.events.map((event) => ({
      timeUnixNano: event.timeUnixNano.toString(),
      name: event.name,
      attributes: toWireAttributes(event.attributes),
    })),
    links: span.links.map((link) => ({
      traceId: hexToBytes(link.traceId),
      spanId: hexToBytes(link.spanId),
      traceState: link.traceState,
      attributes: toWireAttributes(link.attributes),
    })),
    status: span.status,
  };
}

export function encodeTracesProtobuf(data: TracesData): Uint8Array {
  const wire = {
    resourceSpans: data.resourceSpans.map((resourceSpans) => ({
      resource: { attributes: toWireAttributes(resourceSpans.resource.attributes) },
      schemaUrl: resourceSpans.schemaUrl,
      scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => ({
        scope: {
          name: scopeSpans.scope.name,
          version: scopeSpans.scope.version,
          attributes: toWireAttributes(scopeSpans.scope.attributes),
        },
        schemaUrl: scopeSpans.schemaUrl,
        spans: scopeSpans.spans.map(toWireSpan),
      })),
    })),
  };
  return TracesDataType.encode(TracesDataType.fromObject(wire)).finish();
}

/** Encodes an ExportTraceServiceResponse; an empty body means full success. */
export function encodeExportResponseProtobuf(rejectedSpans: number, errorMessage: string): Uint8Array {
  if (rejectedSpans === 0 && errorMessage === '') return new Uint8Array();
  return ExportTraceServiceResponseType.encode(
    ExportTraceServiceResponseType.fromObject({ partialSuccess: { rejectedSpans, errorMessage } }),
  ).finish();
}

/** Encodes the google.rpc.Status body that OTLP/HTTP sends with a failure status. */
export function encodeRpcStatusProtobuf(code: number, message: string): Uint8Array {
  return RpcStatusType.encode(RpcStatusType.fromObject({ code, message })).finish();
}
