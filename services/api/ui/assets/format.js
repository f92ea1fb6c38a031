// Time handling for RFC 3339 strings with up to nine fractional digits,
// which Date.parse would cut to milliseconds.

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** Milliseconds since the epoch, with the sub-millisecond digits kept as a fraction. */
export function toEpochMs(text) {
  const match = RFC3339.exec(text ?? '');
  if (match === null) return Number.NaN;
  const whole = Date.parse(`${match[1]}${match[3]}`);
  const fraction = (match[2] ?? '').padEnd(9, '0').slice(0, 9);
  return whole + Number(fraction) / 1e6;
}

export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Local date and time to the second, for people; the full RFC 3339 value goes in a title. */
export function formatTime(text) {
  const ms = toEpochMs(text);
  if (!Number.isFinite(ms)) return text ?? '–';
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

/** Converts an RFC 3339 value to the value of a datetime-local input, in local time. */
export function toLocalInput(text) {
  const ms = toEpochMs(text);
  if (!Number.isFinite(ms)) return '';
  const date = new Date(ms);
  const pad = (value) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Converts a datetime-local value to RFC 3339 in UTC, or to '' when it is empty. */
export function fromLocalInput(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
