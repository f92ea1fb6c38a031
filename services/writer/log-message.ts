import type { KafkaMessage } from 'kafkajs';
import type { LogsData } from '../../schemas/otlp-logs.ts';
import { decodeLogsProtobuf } from '../shared/otlp/logs-codec.ts';
import { normalizeLogs } from '../shared/normalize/logs.ts';
import { buildLogRows } from '../shared/storage/log-store.ts';
import type { SpanRows } from '../shared/storage/span-store.ts';
import { headersAsStrings } from './message-decoder.ts';

// The gateway puts OTLP logs on the spans topic with the envelope header
// `audit.signal: logs`; every other message there contains traces.

export function isLogsMessage(message: KafkaMessage): boolean {
  return headersAsStrings(message)['audit.signal'] === 'logs';
}

/** Decodes a logs message into the rows it adds; `ok: false` sends it to the dead-letter topic. */
export function decodeLogsMessage(
  message: KafkaMessage,
  maxStoredAttributeBytes?: number,
): { ok: true; rows: SpanRows } | { ok: false; reason: string } {
  if (message.value === null || message.value.length === 0) return { ok: false, reason: 'message has no value' };
  const receivedAt = headersAsStrings(message)['audit.received-at'];
  let data: LogsData;
  try {
    data = decodeLogsProtobuf(message.value);
  } catch (error) {
    return { ok: false, reason: `logs message did not decode: ${error instanceof Error ? error.message : String(error)}` };
  }
  const receivedAtUnixNano = receivedAt !== undefined && /^\d+$/.test(receivedAt) ? BigInt(receivedAt) : BigInt(Date.now()) * 1_000_000n;
  return { ok: true, rows: buildLogRows(data, normalizeLogs(data, receivedAtUnixNano), maxStoredAttributeBytes) };
}
