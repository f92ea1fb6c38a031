import type { AnyValue, KeyValue } from '../../../schemas/otlp.ts';

export type AttributeMap = ReadonlyMap<string, AnyValue>;

/** Indexes attributes by key; a later duplicate key wins, as in the OTLP SDKs. */
export function toAttributeMap(attributes: readonly KeyValue[]): AttributeMap {
  const map = new Map<string, AnyValue>();
  for (const { key, value } of attributes) map.set(key, value);
  return map;
}

type JsonNative = string | number | boolean | null | JsonNative[] | { [key: string]: JsonNative };

/** Converts an AnyValue to plain JSON; 64-bit integers become numbers when safe, strings otherwise. */
export function toJsonNative(value: AnyValue): JsonNative {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) {
    const asNumber = Number(value.intValue);
    return Number.isSafeInteger(asNumber) ? asNumber : value.intValue.toString();
  }
  if ('doubleValue' in value) return Number.isFinite(value.doubleValue) ? value.doubleValue : String(value.doubleValue);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue).toString('base64');
  if ('arrayValue' in value) return value.arrayValue.values.map(toJsonNative);
  if ('kvlistValue' in value) {
    const object: { [key: string]: JsonNative } = {};
    for (const entry of value.kvlistValue.values) object[entry.key] = toJsonNative(entry.value);
    return object;
  }
  return null;
}

/**
 * Renders an attribute value as the string stored in a Map(String, String)
 * column: scalars as text, bytes as base64, arrays and key-value lists as
 * JSON. The OpenTelemetry Collector's ClickHouse exporter stores them the
 * same way, so queries written for its tables work on ours.
 */
export function toAttributeString(value: AnyValue): string {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue ? 'true' : 'false';
  if ('intValue' in value) return value.intValue.toString();
  if ('doubleValue' in value) return String(value.doubleValue);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue).toString('base64');
  if ('arrayValue' in value || 'kvlistValue' in value) return JSON.stringify(toJsonNative(value));
  return '';
}

export function toAttributeRecord(attributes: readonly KeyValue[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { key, value } of attributes) record[key] = toAttributeString(value);
  return record;
}

/** Reads an attribute as a string if it holds a scalar; arrays and lists are not coerced. */
export function readString(attributes: AttributeMap, key: string): string | undefined {
  const value = attributes.get(key);
  if (value === undefined) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return value.intValue.toString();
  if ('doubleValue' in value) return String(value.doubleValue);
  if ('boolValue' in value) return value.boolValue ? 'true' : 'false';
  return undefined;
}

/** Reads a non-negative integer attribute, accepting the numeric string form some SDKs send. */
export function readCount(attributes: AttributeMap, key: string): number | undefined {
  const value = attributes.get(key);
  if (value === undefined) return undefined;
  let count: number;
  if ('intValue' in value) count = Number(value.intValue);
  else if ('doubleValue' in value) count = value.doubleValue;
  else if ('stringValue' in value && /^\d+$/.test(value.stringValue)) count = Number(value.stringValue);
  else return undefined;
  return Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}
