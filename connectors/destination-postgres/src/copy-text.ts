import { Decimal, JsonText, stringifyExactJson } from '@mage-int/core';
import { base16Digits } from '@mage-int/core/sql';
import type { PgKind, PgType } from './pg-types.js';

/**
 * Encoding of JS values into PostgreSQL's COPY text format: columns separated by tab, rows by newline, NULL as
 * `\N`, and backslash, tab, newline and carriage return escaped with a backslash. Values go straight from what
 * the record carries (number, bigint, Decimal, string, object) to text, never through a lossy float.
 */

export const COPY_NULL = '\\N';

export type NulPolicy = 'reject' | 'strip';

/** A string held a NUL character and the policy is `reject`. Carries the column for the caller to name. */
export class NulCharacterError extends Error {
  constructor(readonly column: string) {
    super('NUL character (U+0000) in a string');
  }
}

/** A bigint does not fit the int8 column: the column must widen to numeric before the row can load. */
export class ColumnOverflowError extends Error {
  constructor(readonly column: string) {
    super('integer out of the bigint range');
  }
}

/** A value the column type cannot take at all (an object for a bytea column); `detail` says what arrived. */
export class ValueTypeError extends Error {
  constructor(
    readonly column: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** A string for a bytea column is not the hex its schema's `contentEncoding: base16` promises. */
export class Base16Error extends ValueTypeError {
  constructor(
    column: string,
    readonly value: string,
  ) {
    super(column, 'is not base16 (hex) text');
  }
}

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;

/**
 * Escapes a string for a COPY text field. NUL characters are stripped or rejected per `nul`.
 * Native replaceAll passes are much faster than one regex replace with a callback per match.
 */
export function escapeCopyText(text: string, nul: NulPolicy, column: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  if (text.includes('\0')) {
    if (nul === 'reject') throw new NulCharacterError(column);
    text = text.replaceAll('\0', '');
  }
  if (text.includes('\\')) text = text.replaceAll('\\', '\\\\');
  if (text.includes('\t')) text = text.replaceAll('\t', '\\t');
  if (text.includes('\n')) text = text.replaceAll('\n', '\\n');
  if (text.includes('\r')) text = text.replaceAll('\r', '\\r');
  return text;
}

/** Escapes JSON.stringify output: it never holds raw control characters, so only backslashes need doubling. */
function escapeJsonText(json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/** `\u0000` escapes in JSON text not preceded by an escaping backslash: jsonb rejects them. */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

function jsonNul(json: string, nul: NulPolicy, column: string): string {
  if (!json.includes('\\u0000')) return json;
  JSON_NUL.lastIndex = 0;
  if (!JSON_NUL.test(json)) return json;
  if (nul === 'reject') throw new NulCharacterError(column);
  return json.replace(JSON_NUL, '$1');
}

/** ISO 8601 years before 1 (`-0043-03-15`, `0000-…`) as PostgreSQL's `… BC` form; others unchanged. */
export function toPgEra(text: string): string {
  const first = text.charCodeAt(0);
  if (first !== 45 /* - */ && !text.startsWith('0000')) return text;
  const m = /^(-?)(\d{4,})(.*)$/.exec(text);
  if (!m) return text;
  const iso = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  if (iso > 0) return text;
  return `${String(1 - iso).padStart(4, '0')}${m[3]} BC`;
}

/** Text of a scalar for a text-like column: strings as they are, numbers exact, objects as JSON. */
function scalarText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value instanceof Decimal ? value.text : stringifyExactJson(value);
  }
}

export type ValueEncoder = (value: unknown) => string;

export interface EncoderOptions {
  column: string;
  nul: NulPolicy;
  /** How a string for a bytea column encodes its bytes. */
  contentEncoding?: 'base64' | 'base16';
  /** Strings for a json/jsonb column are JSON text already (the source read a json column as text). */
  jsonText?: boolean;
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
function bytesHex(value: string, options: EncoderOptions): string {
  if (options.contentEncoding === 'base16') {
    const hex = base16Digits(value);
    if (hex === undefined) throw new Base16Error(options.column, value);
    return hex;
  }
  return Buffer.from(value, 'base64').toString('hex');
}

/** The element text of a value inside an array literal, before array quoting. */
function arrayElementText(value: unknown, element: PgType, options: EncoderOptions): string {
  switch (element.kind) {
    case 'json':
    case 'jsonb':
      return jsonNul(stringifyExactJson(value), options.nul, options.column);
    case 'bytea':
      return typeof value === 'string' ? `\\x${bytesHex(value, options)}` : scalarText(value);
    case 'bool':
      return typeof value === 'boolean' ? (value ? 't' : 'f') : scalarText(value);
    default: {
      const text = scalarText(value);
      if (text.includes('\0')) {
        if (options.nul === 'reject') throw new NulCharacterError(options.column);
        return text.replaceAll('\0', '');
      }
      return text;
    }
  }
}

/** A PostgreSQL array literal (`{1,"a b",NULL,{2,3}}`) of a JS array; every element is quoted. */
export function arrayLiteral(values: readonly unknown[], element: PgType, options: EncoderOptions): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) out += 'NULL';
    else if (Array.isArray(value)) out += arrayLiteral(value, element, options);
    else out += `"${arrayElementText(value, element, options).replace(/[\\"]/g, '\\$&')}"`;
  }
  return out + '}';
}

/** The encoder of non-null values for a column of `type`. Each returns the escaped COPY field text. */
export function valueEncoder(type: PgType, options: EncoderOptions): ValueEncoder {
  const { column, nul } = options;
  const text = (value: unknown): string => escapeCopyText(scalarText(value), nul, column);
  const kind: PgKind = type.kind;
  switch (kind) {
    case 'bool':
      return (value) => (value === true ? 't' : value === false ? 'f' : text(value));
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
    case 'numeric':
      return (value) => {
        if (typeof value === 'number') return String(value);
        if (value instanceof Decimal) return value.text;
        return text(value);
      };
    case 'int8':
      return (value) => {
        if (typeof value === 'number') return String(value);
        if (typeof value === 'bigint') {
          if (value < INT8_MIN || value > INT8_MAX) throw new ColumnOverflowError(column);
          return value.toString();
        }
        if (value instanceof Decimal) {
          if (value.isInteger() && /^-?\d+$/.test(value.text) && (BigInt(value.text) < INT8_MIN || BigInt(value.text) > INT8_MAX))
            throw new ColumnOverflowError(column);
          return value.text;
        }
        return text(value);
      };
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return (value) => (typeof value === 'string' ? escapeCopyText(toPgEra(value), nul, column) : text(value));
    case 'json':
    case 'jsonb':
      return (value) => {
        // JSON text (a json column's may hold raw tabs and newlines between tokens) takes the full escaping.
        if (value instanceof JsonText) return escapeCopyText(jsonNul(value.text, nul, column), nul, column);
        if (options.jsonText && typeof value === 'string') return escapeCopyText(jsonNul(value, nul, column), nul, column);
        return escapeJsonText(jsonNul(stringifyExactJson(value), nul, column));
      };
    case 'bytea':
      return (value) => {
        if (typeof value === 'string') return `\\\\x${bytesHex(value, options)}`;
        if (value instanceof Uint8Array) return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
        throw new ValueTypeError(column, `cannot be loaded into a bytea column (got ${typeof value})`);
      };
    case 'array': {
      const element = type.element ?? { kind: 'text' };
      return (value) => {
        if (Array.isArray(value)) return escapeCopyText(arrayLiteral(value, element, options), nul, column);
        if (typeof value === 'string') return escapeCopyText(value, nul, column);
        throw new ValueTypeError(column, `needs an array for a ${element.kind}[] column (got ${typeof value})`);
      };
    }
    default:
      return text;
  }
}
