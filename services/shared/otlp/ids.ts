// Trace and span ids travel as bytes in protobuf and as hex in OTLP/JSON; the
// services keep them as lowercase hex strings.

export function bytesToHex(bytes: Uint8Array | number[] | undefined): string {
  // protobufjs hands out a plain empty array for a bytes field absent on the wire.
  if (bytes === undefined || !(bytes instanceof Uint8Array)) return Buffer.from(bytes ?? []).toString('hex');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function hexToBytes(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}

const zeroTraceId = '0'.repeat(32);
const zeroSpanId = '0'.repeat(16);

/** Returns why a trace id is invalid, or null when it is a valid one. */
export function checkTraceId(traceId: string): string | null {
  if (traceId === '') return 'traceId is missing';
  if (!/^[0-9a-f]{32}$/.test(traceId)) return 'traceId must be 16 bytes (32 hex digits)';
  if (traceId === zeroTraceId) return 'traceId is all zeros';
  return null;
}

/** Returns why a span id is invalid, or null when it is a valid one. */
export function checkSpanId(spanId: string, field = 'spanId'): string | null {
  if (spanId === '') return `${field} is missing`;
  if (!/^[0-9a-f]{16}$/.test(spanId)) return `${field} must be 8 bytes (16 hex digits)`;
  if (spanId === zeroSpanId) return `${field} is all zeros`;
  return null;
}
