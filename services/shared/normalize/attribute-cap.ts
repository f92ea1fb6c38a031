import type { KeyValue } from '../../../schemas/otlp.ts';
import { toAttributeString } from '../otlp/attributes.ts';

// Prompts, tool results and retrieved documents can make one attribute
// megabytes long. Stored values are cut at a configurable number of UTF-8
// bytes, and the cut value ends with a mark that says how long it was, so
// nobody mistakes it for the whole value. The audit event lists the keys
// that were cut.

export const DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES = 65_536;

export function truncationMark(originalBytes: number): string {
  return `…[truncated: ${originalBytes} bytes]`;
}

/** Returns the keys whose stored text would exceed maxBytes. */
export function findOversizedAttributes(attributes: readonly KeyValue[], maxBytes: number): string[] {
  const keys: string[] = [];
  for (const { key, value } of attributes) {
    // A string of n UTF-16 units has at most 3n UTF-8 bytes and at least n.
    if ('stringValue' in value && value.stringValue.length * 3 <= maxBytes) continue;
    if (Buffer.byteLength(toAttributeString(value), 'utf8') > maxBytes) keys.push(key);
  }
  return keys;
}

/** Cuts text to at most maxBytes UTF-8 bytes, never inside a character, and appends the truncation mark. */
export function capText(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Continuation bytes start with 0b10; backing up to a lead byte keeps the
  // cut between characters.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + truncationMark(bytes.length);
}

/** Renders attributes for a Map(String, String) column, cutting values above maxBytes. */
export function toCappedAttributeRecord(attributes: readonly KeyValue[], maxBytes: number): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { key, value } of attributes) record[key] = capText(toAttributeString(value), maxBytes);
  return record;
}
