/** Formats nanoseconds since the epoch as RFC 3339 in UTC with all nine fractional digits. */
export function formatUnixNano(unixNano: bigint): string {
  const seconds = unixNano / 1_000_000_000n;
  const fraction = (unixNano % 1_000_000_000n).toString().padStart(9, '0');
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction}Z`;
}

/** Parses an RFC 3339 time to nanoseconds since the epoch, keeping up to nine fractional digits. */
export function parseRfc3339(text: string): bigint {
  const match = /^(.*?T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\d*(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (!match) throw new RangeError(`not an RFC 3339 time: ${text}`);
  const [, whole, fraction = '', zone] = match;
  const milliseconds = Date.parse(`${whole}${zone}`);
  if (Number.isNaN(milliseconds)) throw new RangeError(`not an RFC 3339 time: ${text}`);
  return BigInt(milliseconds) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}
