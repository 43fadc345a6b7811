/**
 * ISO-8601 timestamps. DuckDB's Appender parses `YYYY-MM-DD HH:MM:SS[.ffffff]` (and a `Z`) itself, which is
 * fastest, but ignores any other UTC offset; those (and astronomical years like `-0043`) are converted here to
 * exact microseconds since the epoch.
 */
const ISO_TIMESTAMP = /^(-?\d{4,})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*([Zz]|[+-]\d\d(?::?\d\d(?::?\d\d)?)?)?$/;
/**
 * What the Appender reads exactly as it is: no offset, or a zero one (`Z`, `+00`, `+00:00`: PostgreSQL sources
 * write timestamptz so, and converting each in JavaScript was the record path's largest cost), at most
 * microseconds.
 */
const APPENDER_SAFE = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]00(?::?00)?)?)?$/;

/** True when DuckDB can parse the text itself without losing the instant. */
export function appenderSafeTimestamp(text: string): boolean {
  return APPENDER_SAFE.test(text);
}

/**
 * Microseconds since 1970-01-01 UTC for an ISO timestamp with an offset; digits beyond microseconds are
 * truncated. Undefined when the text is not such a timestamp (or names an impossible date).
 */
export function timestampMicros(text: string): bigint | undefined {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s = '0', fraction = '', offset = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  const hours = Number(h);
  const minutes = Number(mi);
  const seconds = Number(s);
  if (hours > 24 || minutes > 59 || seconds > 60) return undefined;
  date.setUTCHours(hours, minutes, seconds, 0);
  const micros = BigInt(date.getTime()) * 1000n + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
  return micros - BigInt(offsetSeconds(offset)) * 1_000_000n;
}

function offsetSeconds(offset: string): number {
  if (offset === 'Z' || offset === 'z') return 0;
  const digits = offset.slice(1).replace(/:/g, '');
  const seconds = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60 + Number(digits.slice(4, 6) || '0');
  return offset.startsWith('-') ? -seconds : seconds;
}

/** A UTC offset (or `Z`) at the end of a time of day. */
const TIME_OFFSET = /(?:[Zz]|[+-]\d\d(?::?\d\d(?::?\d\d)?)?)$/;

/** True when a time of day carries a UTC offset (`10:00:00+02`, `10:00:00Z`). */
export function hasTimeOffset(text: string): boolean {
  return TIME_OFFSET.test(text);
}

/** A time with offset as DuckDB's TIMETZ reads it: `Z` becomes `+00`. */
export function timetzText(text: string): string {
  return /[Zz]$/.test(text) ? `${text.slice(0, -1)}+00` : text;
}
