import { Decimal } from '../protocol/exact-json.js';

const ISO_DATE = /^(\d{4,})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?$/;

/** An ISO date or timestamp as [epoch milliseconds, sub-millisecond digits], or undefined when it is not one. */
export function parseInstant(text: string): [number, string] | undefined {
  const match = ISO_DATE.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[7] ?? '';
  const ms = Date.parse(
    `${match[1]}-${match[2]}-${match[3]}T${match[4] ?? '00'}:${match[5] ?? '00'}:${match[6] ?? '00'}.${fraction.slice(0, 3).padEnd(3, '0')}${normaliseZone(match[8])}`,
  );
  return Number.isNaN(ms) ? undefined : [ms, fraction.slice(3).padEnd(6, '0')];
}

function normaliseZone(zone: string | undefined): string {
  if (!zone || zone === 'z' || zone === 'Z') return 'Z';
  const digits = zone.replace(':', '');
  return `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`;
}

function numericText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Decimal) return value.text;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.trim())) return value.trim();
  return undefined;
}

function compareNumericText(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Both `YYYY-MM-DDTHH:MM:SS[.fff…]Z` of one length: their text order is their time order. */
function sameUtcLayout(a: string, b: string): boolean {
  return (
    a.length === b.length &&
    a.length >= 20 &&
    a.charCodeAt(a.length - 1) === 90 &&
    b.charCodeAt(b.length - 1) === 90 &&
    a.charCodeAt(4) === 45 &&
    b.charCodeAt(4) === 45 &&
    a.charCodeAt(10) === 84 &&
    b.charCodeAt(10) === 84 &&
    a.charCodeAt(0) !== 45 &&
    b.charCodeAt(0) !== 45
  );
}

/**
 * Orders two replication-key values the way a source's bookmark does: numbers (number, bigint, Decimal)
 * numerically, ISO dates and timestamps in time (with microseconds), other strings by code point.
 */
export function compareBookmarkValues(a: unknown, b: unknown): number {
  // Fast paths for what sources compare per record: numbers, and UTC timestamps written the same way.
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string' && sameUtcLayout(a, b)) return a < b ? -1 : a > b ? 1 : 0;
  const na = numericText(a);
  const nb = numericText(b);
  if (na !== undefined && nb !== undefined && typeof a !== 'string' && typeof b !== 'string') return compareNumericText(na, nb);
  if (typeof a === 'string' && typeof b === 'string') {
    const ia = parseInstant(a);
    const ib = parseInstant(b);
    if (ia && ib) return ia[0] !== ib[0] ? Math.sign(ia[0] - ib[0]) : ia[1] < ib[1] ? -1 : ia[1] > ib[1] ? 1 : 0;
    if (na !== undefined && nb !== undefined) return compareNumericText(na, nb);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (na !== undefined && nb !== undefined) return compareNumericText(na, nb);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
