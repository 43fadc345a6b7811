import { Decimal } from '@mage-int/core';
import type { LoadColumn } from '@mage-int/core/sql';
import { valueForm, type MysqlType, type ValueForm } from './mysql-types.js';

/**
 * How one staged column travels: each value as text (the server parses it as the column's type, exactly:
 * bigints, decimals and µs timestamps are never floats on the way), and for the types whose text the server
 * would not read as wanted, the SQL that turns the text into the value (`UNHEX` for bytes, sent as hex).
 */
export interface ColumnEncoder {
  name: string;
  text(value: unknown): string | null;
  /** The value as a field of LOAD DATA's text format (`loadDataField` of `text`, without escaping what cannot need it). */
  field(value: unknown): string;
  /** Wraps an SQL expression holding the text (`@v3`, a literal) into the column's value; undefined: as it is. */
  expression?: (text: string) => string;
}

const ISO = /^(\d{4,})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d))?(?:\.(\d+))?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?$/;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * An ISO date-time as MySQL's DATETIME text in UTC, microseconds kept (`2024-03-01T10:00:00.5+01:00` →
 * `2024-03-01 09:00:00.5`); without an offset it is taken as written. Anything else is returned unchanged
 * for the server to judge (and refuse, loudly).
 */
export function utcDateTime(text: string): string {
  const fast = plainUtc(text);
  if (fast !== undefined) return fast;
  const match = ISO.exec(text.trim());
  if (!match) return text;
  const [, y, mo, d, h, mi, s = '00', fraction, zone] = match;
  const tail = fraction ? `.${fraction.slice(0, 6)}` : '';
  if (!zone || zone === 'Z' || zone === 'z' || /^[+-]00:?(00)?$/.test(zone)) return `${y}-${mo}-${d} ${h}:${mi}:${s}${tail}`;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi) - offsetMinutes, Number(s), 0);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${tail}`;
}

const digit = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/**
 * The common case of `utcDateTime` without the regular expression: `YYYY-MM-DDTHH:MM:SS[.f…](Z|+00:00)` (what
 * sources send for UTC instants) → `YYYY-MM-DD HH:MM:SS[.ffffff]`; undefined for anything else.
 */
function plainUtc(text: string): string | undefined {
  const n = text.length;
  const end = text.charCodeAt(n - 1) === 90 ? n - 1 : text.endsWith('+00:00') ? n - 6 : -1;
  if (end < 19 || text.charCodeAt(10) !== 84 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if (!digit(text, i)) return undefined;
  if (end > 19) {
    if (text.charCodeAt(19) !== 46 || end === 20) return undefined;
    for (let i = 20; i < end; i++) if (!digit(text, i)) return undefined;
  }
  return `${text.slice(0, 10)} ${text.slice(11, Math.min(end, 26))}`;
}

function bytesOf(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(String(value), 'utf8');
}

function textOf(value: unknown, form: ValueForm): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return form === 'text' ? String(value) : value ? '1' : '0';
  if (value instanceof Decimal) return value.text;
  if (form === 'binary') return bytesOf(value).toString('hex');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'string') return form === 'datetime' ? utcDateTime(value) : value;
  return String(value);
}

const EXPRESSIONS: Partial<Record<ValueForm, (text: string) => string>> = {
  binary: (text) => `UNHEX(${text})`,
  bit: (text) => `CAST(${text} AS UNSIGNED)`,
  geometry: (text) => `ST_GeomFromText(${text})`,
};

/** The encoder of a staged column (a data column, the load sequence or the delete flag). */
export function columnEncoder(column: LoadColumn<MysqlType>): ColumnEncoder {
  if (column.type === 'sequence' || column.type === 'deleted') {
    const text = (value: unknown) =>
      value === null || value === undefined ? null : typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    return { name: column.name, text, field: (value) => loadDataField(text(value)) };
  }
  const form = valueForm(column.type);
  const expression = EXPRESSIONS[form];
  return {
    name: column.name,
    text: (value) => textOf(value, form),
    field: (value) => fieldOf(value, form),
    ...(expression ? { expression } : {}),
  };
}

/**
 * `loadDataField(textOf(value, form))`, the hot path of every load: numbers, booleans and decimals are written as they
 * are (their text never holds a separator); strings are escaped.
 */
function fieldOf(value: unknown, form: ValueForm): string {
  switch (typeof value) {
    case 'string':
      return loadDataField(form === 'datetime' ? utcDateTime(value) : form === 'binary' ? bytesOf(value).toString('hex') : value);
    case 'number':
    case 'bigint':
      return form === 'binary' ? loadDataField(textOf(value, form)) : String(value);
    case 'boolean':
      return form === 'text' ? String(value) : value ? '1' : '0';
    default:
      if (value === null || value === undefined) return '\\N';
      if (value instanceof Decimal) return value.text;
      return loadDataField(textOf(value, form));
  }
}

/** A field of LOAD DATA's default text format: `\N` for NULL, backslash escapes for the separators. */
export function loadDataField(text: string | null): string {
  if (text === null) return '\\N';
  return /[\\\t\n\r\0]/.test(text)
    ? text.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0'))
    : text;
}

/**
 * Rows from `from` as LOAD DATA lines (the first `width` values of each, tab-separated), until the text reaches
 * about `limit` characters; `next` is the first row not encoded.
 */
export function encodeRows(
  encoders: readonly ColumnEncoder[],
  rows: readonly unknown[][],
  from: number,
  width: number,
  limit: number,
): { text: string; next: number } {
  let text = '';
  let next = from;
  while (next < rows.length && text.length < limit) {
    const row = rows[next++]!;
    for (let c = 0; c < width; c++) {
      if (c > 0) text += '\t';
      text += encoders[c]!.field(row[c]);
    }
    text += '\n';
  }
  return { text, next };
}
