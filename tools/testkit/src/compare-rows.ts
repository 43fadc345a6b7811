import { Decimal } from '@mage-int/core';

function canonicalNumber(text: string): string {
  // 1, 1.0, 1.50 and 1e0 are the same value; keep digits exact (no float rounding) where possible.
  if (/[eE]/.test(text)) return String(Number(text));
  let [int = '0', frac = ''] = text.split('.');
  const negative = int.startsWith('-');
  int = int.replace(/^[-+]/, '').replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return negative && body !== '0' ? `-${body}` : body;
}

const TIMESTAMP = /^(\d{4,}-\d\d-\d\d)[Tt ](\d\d:\d\d(?::\d\d)?)(?:\.(\d+))?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?$/;

/**
 * ISO timestamps in one form: the UTC instant with microseconds (`…T00:00:00.000000Z`). A timestamp
 * without zone is taken as UTC (as a destination's zoned column would store it). Undefined for other strings.
 */
function canonicalTimestamp(text: string): string | undefined {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return undefined;
  const [, date, clock = '', fraction = '', zone] = match;
  const time = clock.length === 5 ? `${clock}:00` : clock;
  const micros = fraction.padEnd(6, '0').slice(0, 6);
  const offset = !zone || zone === 'Z' || zone === 'z' ? 'Z' : `${zone.slice(0, 3)}:${zone.replace(':', '').slice(3, 5) || '00'}`;
  const ms = Date.parse(`${date}T${time}.${micros.slice(0, 3)}${offset}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 23)}${micros.slice(3)}Z`;
}

/**
 * A value reduced to what a comparison should look at: numbers of any representation (number, bigint,
 * Decimal, numeric string) to one canonical decimal text, dates to ISO strings, objects with sorted keys.
 */
export function canonicalValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? canonicalNumber(String(value)) : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Decimal) return canonicalNumber(value.text);
  if (value instanceof Date) return canonicalTimestamp(value.toISOString());
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed)) return canonicalNumber(trimmed);
    return canonicalTimestamp(value) ?? value;
  }
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalValue(v)]));
  }
  return value;
}

function isNotNullMatcher(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)['$not_null'] === true &&
    Object.keys(value).length === 1
  );
}

/** Whether an actual cell matches an expected one: canonical equality, or `{"$not_null": true}`. */
export function cellMatches(actual: unknown, expected: unknown): boolean {
  if (isNotNullMatcher(expected)) return actual !== null && actual !== undefined;
  return JSON.stringify(canonicalValue(actual)) === JSON.stringify(canonicalValue(expected));
}

function show(row: Record<string, unknown>, columns: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(columns.map((c) => [c, isNotNullMatcher(row[c]) ? '<not null>' : canonicalValue(row[c])])));
}

/**
 * Compares table rows with expected rows as a multiset, on the columns the expected rows name (a
 * destination may add `_sdc_*` columns; a named column that is missing compares as null). Returns a
 * description of the differences, or undefined when they match.
 */
export function diffRows(actual: readonly Record<string, unknown>[], expected: readonly Record<string, unknown>[]): string | undefined {
  const columns = [...new Set(expected.flatMap((row) => Object.keys(row)))].sort();
  const unmatched = [...actual];
  const missing: Record<string, unknown>[] = [];
  for (const want of expected) {
    const index = unmatched.findIndex((row) => columns.every((c) => cellMatches(row[c], want[c])));
    if (index === -1) missing.push(want);
    else unmatched.splice(index, 1);
  }
  if (missing.length === 0 && unmatched.length === 0) return undefined;
  const list = (rows: Record<string, unknown>[]) =>
    rows
      .slice(0, 5)
      .map((r) => show(r, columns))
      .join('\n    ') + (rows.length > 5 ? `\n    … ${rows.length - 5} more` : '');
  const parts = [`columns compared: ${columns.join(', ')}; expected ${expected.length} rows, found ${actual.length}`];
  if (missing.length > 0) parts.push(`  missing:\n    ${list(missing)}`);
  if (unmatched.length > 0) parts.push(`  unexpected:\n    ${list(unmatched)}`);
  return parts.join('\n');
}
