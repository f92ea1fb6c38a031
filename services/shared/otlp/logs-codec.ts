import type Long from 'long';
import type { LogRecord, LogRejection, LogsData } from '../../../schemas/otlp-logs.ts';
import { JsonLogRecordSchema, JsonLogsDataSchema } from '../../../schemas/otlp-logs.ts';
import type { KeyValue } from '../../../schemas/otlp.ts';
import { bytesToHex, hexToBytes } from './ids.ts';
import {
  describeIssues,
  fromJsonAttributes,
  int64ToBigInt,
  OtlpJsonError,
  parseJsonKeepingLargeIntegers,
  readJsonId,
} from './json.ts';
import {
  fromWireAttributes,
  fromWireValue,
  otlpProtoRoot,
  toUnsignedBigInt,
  toWireAttributes,
  toWireValue,
  type WireAnyValue,
  type WireKeyValue,
} from './protobuf.ts';

// OTLP logs in protobuf and JSON, decoded to the LogsData model and encoded
// back to protobuf for Kafka.

const LogsDataType = otlpProtoRoot.lookupType('opentelemetry.proto.LogsData');
const ExportLogsServiceResponseType = otlpProtoRoot.lookupType('opentelemetry.proto.ExportLogsServiceResponse');

interface WireLogRecord {
  timeUnixNano?: Long | number;
  observedTimeUnixNano?: Long | number;
  severityNumber?: number;
  severityText?: string;
  body?: WireAnyValue | null;
  attributes?: WireKeyValue[];
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}

interface WireLogsData {
  resourceLogs?: {
    resource?: { attributes?: WireKeyValue[] } | null;
    schemaUrl?: string;
    scopeLogs?: {
      scope?: { name?: string; version?: string; attributes?: WireKeyValue[] } | null;
      schemaUrl?: string;
      logRecords?: WireLogRecord[];
    }[];
  }[];
}

/** Decodes an ExportLogsServiceRequest or LogsData; throws protobufjs' error when the bytes are not one. */
export function decodeLogsProtobuf(bytes: Uint8Array): LogsData {
  const wire = LogsDataType.decode(bytes) as unknown as WireLogsData;
  return {
    resourceLogs: (wire.resourceLogs ?? []).map((resourceLogs) => ({
      resource: { attributes: fromWireAttributes(resourceLogs.resource?.attributes) },
      schemaUrl: resourceLogs.schemaUrl ?? '',
      scopeLogs: (resourceLogs.scopeLogs ?? []).map((scopeLogs) => ({
        scope: {
          name: scopeLogs.scope?.name ?? '',
          version: scopeLogs.scope?.version ?? '',
          attributes: fromWireAttributes(scopeLogs.scope?.attributes),
        },
        schemaUrl: scopeLogs.schemaUrl ?? '',
        logRecords: (scopeLogs.logRecords ?? []).map(
          (record): LogRecord => ({
            timeUnixNano: toUnsignedBigInt(record.timeUnixNano),
            observedTimeUnixNano: toUnsignedBigInt(record.observedTimeUnixNano),
            severityNumber: record.severityNumber ?? 0,
            severityText: record.severityText ?? '',
            body: fromWireValue(record.body),
            attributes: fromWireAttributes(record.attributes),
            traceId: bytesToHex(record.traceId),
            spanId: bytesToHex(record.spanId),
            eventName: record.eventName ?? '',
          }),
        ),
      })),
    })),
  };
}

export function encodeLogsProtobuf(data: LogsData): Uint8Array {
  const wire = {
    resourceLogs: data.resourceLogs.map((resourceLogs) => ({
      resource: { attributes: toWireAttributes(resourceLogs.resource.attributes) },
      schemaUrl: resourceLogs.schemaUrl,
      scopeLogs: resourceLogs.scopeLogs.map((scopeLogs) => ({
        scope: { name: scopeLogs.scope.name, version: scopeLogs.scope.version, attributes: toWireAttributes(scopeLogs.scope.attributes) },
        schemaUrl: scopeLogs.schemaUrl,
        logRecords: scopeLogs.logRecords.map((record) => ({
          timeUnixNano: record.timeUnixNano.toString(),
          observedTimeUnixNano: record.observedTimeUnixNano.toString(),
          severityNumber: record.severityNumber,
          severityText: record.severityText,
          body: toWireValue(record.body),
          attributes: toWireAttributes(record.attributes),
          traceId: hexToBytes(record.traceId),
          spanId: hexToBytes(record.spanId),
          eventName: record.eventName,
        })),
      })),
    })),
  };
  return LogsDataType.encode(LogsDataType.fromObject(wire)).finish();
}

export function encodeLogsResponseProtobuf(rejected: number, errorMessage: string): Uint8Array {
  if (rejected === 0 && errorMessage === '') return new Uint8Array();
  return ExportLogsServiceResponseType.encode(
    ExportLogsServiceResponseType.fromObject({ partialSuccess: { rejectedLogRecords: rejected, errorMessage } }),
  ).finish();
}

function fromJsonLogRecord(raw: unknown): LogRecord | { problem: string } {
  const parsed = JsonLogRecordSchema.safeParse(raw);
  if (!parsed.success) return { problem: describeIssues(parsed.error, 'log record') };
  const record = parsed.data;
  const traceId = readJsonId(record.traceId, 'traceId');
  const spanId = readJsonId(record.spanId, 'spanId');
  if ('problem' in traceId) return traceId;
  if ('problem' in spanId) return spanId;
  const body: KeyValue[] = fromJsonAttributes(record.body === undefined ? [] : [{ key: '', value: record.body }]);
  return {
    timeUnixNano: int64ToBigInt(record.timeUnixNano),
    observedTimeUnixNano: int64ToBigInt(record.observedTimeUnixNano),
    severityNumber: record.severityNumber ?? 0,
    severityText: record.severityText ?? '',
    body: body[0]?.value ?? {},
    attributes: fromJsonAttributes(record.attributes),
    traceId: traceId.id,
    spanId: spanId.id,
    eventName: record.eventName ?? '',
  };
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest; a record whose own fields are wrong is returned as a rejection. */
export function decodeLogsJson(text: string): { data: LogsData; rejections: LogRejection[] } {
  let document: unknown;
  try {
    document = parseJsonKeepingLargeIntegers(text);
  } catch (error) {
    throw new OtlpJsonError(`body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = JsonLogsDataSchema.safeParse(document);
  if (!parsed.success) throw new OtlpJsonError(`body is not an OTLP ExportLogsServiceRequest: ${describeIssues(parsed.error, 'body')}`);
  const rejections: LogRejection[] = [];
  const data: LogsData = {
    resourceLogs: (parsed.data.resourceLogs ?? []).map((resourceLogs) => ({
      resource: { attributes: fromJsonAttributes(resourceLogs.resource?.attributes) },
      schemaUrl: resourceLogs.schemaUrl ?? '',
      scopeLogs: (resourceLogs.scopeLogs ?? []).map((scopeLogs) => {
        const logRecords: LogRecord[] = [];
        for (const raw of scopeLogs.logRecords ?? []) {
          const record = fromJsonLogRecord(raw);
          if ('problem' in record) rejections.push({ reason: record.problem });
          else logRecords.push(record);
        }
        return {
          scope: {
            name: scopeLogs.scope?.name ?? '',
            version: scopeLogs.scope?.version ?? '',
            attributes: fromJsonAttributes(scopeLogs.scope?.attributes),
          },
          schemaUrl: scopeLogs.schemaUrl ?? '',
          logRecords,
        };
      }),
    })),
  };
  return { data, rejections };
}
