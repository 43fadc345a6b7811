import { DuckDBDecimalValue, DuckDBTimestampTZValue, DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { Decimal, stringifyExactJson } from '@mage-int/core';
import { decodeBase16 } from '@mage-int/core/sql';
import { exactInteger, numberText, plainNumber, simpleNumber } from './exact-number.js';
import { appenderSafeTimestamp, hasTimeOffset, timestampMicros, timetzText } from './timestamps.js';
import { decimalOrText, HUGEINT, sqlType, TIMETZ, VARCHAR, type DuckType } from './type-map.js';

/** A value a column cannot take as it is typed now, but can after the column is widened to `to`. */
export class NeedsWiderType {
  constructor(readonly to: DuckType) {}
}

/** A value that does not fit its column at all (the record contradicts its schema). */
export class ValueRejected extends Error {}

/** A NUL character under `nul_characters: reject`. */
export class NulRejected extends ValueRejected {}

/** A `contentEncoding: base16` string that is not hex (with `interpret_content_encoding`). */
export class Base16Rejected extends ValueRejected {
  constructor(readonly value: string) {
    super('not base16 text');
  }
}

/** What to do with NUL characters (U+0000) in text: DuckDB can store them. */
export type NulPolicy = 'keep' | 'reject' | 'strip';

/**
 * Converts record values for one column and appends them. Conversion (`prepare`) is separate from appending
 * so a row is checked completely before any of it reaches the Appender, which cannot take back half a row.
 */
export interface ColumnWriter {
  readonly type: DuckType;
  /** The value ready to append (null for SQL NULL), or the wider type the column needs for it. Throws ValueRejected. */
  prepare(value: unknown): unknown;
  append(appender: DuckDBAppender, prepared: unknown): void;
}

export interface WriterOptions {
  /** How a BLOB column's strings encode bytes. */
  contentEncoding?: 'base64' | 'base16';
  nulCharacters?: NulPolicy;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT128_MIN = -(2n ** 127n);
const INT128_MAX = 2n ** 127n - 1n;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function describe(value: unknown): string {
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : value instanceof Decimal
        ? value.text
        : typeof value === 'object'
          ? stringifyExactJson(value)
          : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function reject(value: unknown, type: DuckType): never {
  throw new ValueRejected(`value ${describe(value)} does not fit column type ${sqlType(type)}`);
}

const appendVarchar = (appender: DuckDBAppender, prepared: unknown) => appender.appendVarchar(prepared as string);

/** Text of any value for a VARCHAR column: strings as they are, numbers exact, the rest as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  // NaN and ±Infinity (PostgreSQL numeric and float allow them) have no JSON form; keep their names.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const number = numberText(value);
  if (number !== undefined) return /[eE]/.test(number) ? (plainNumber(number)?.text ?? number) : number;
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return stringifyExactJson(value);
}

/** Integers the Appender takes as a 32-bit value (cast to the column's type by DuckDB) without a BigInt each. */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Appends an integer: a number in the 32-bit range as it is, anything else as a bigint. */
export function appendInteger(appender: DuckDBAppender, n: number): void {
  if (n >= INT32_MIN && n <= INT32_MAX) appender.appendInteger(n);
  else appender.appendBigInt(BigInt(n));
}

function integerWriter(type: DuckType, min: bigint, max: bigint, wider: (n: bigint) => DuckType): ColumnWriter {
  const big =
    type.kind === 'HUGEINT'
      ? (a: DuckDBAppender, p: unknown) => a.appendHugeInt(p as bigint)
      : (a: DuckDBAppender, p: unknown) => a.appendBigInt(p as bigint);
  return {
    type,
    prepare(value) {
      // A safe integer fits BIGINT and HUGEINT: no BigInt needed.
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      const n = exactInteger(value);
      if (n === undefined) return reject(value, type);
      return n < min || n > max ? new NeedsWiderType(wider(n)) : n;
    },
    append: (appender, prepared) => (typeof prepared === 'number' ? appendInteger(appender, prepared) : big(appender, prepared)),
  };
}

/** Widest DECIMAL DuckDB stores in 64 bits; the Appender parses those from text quickly. */
const INT64_DECIMAL_PRECISION = 18;

function decimalWriter(type: DuckType): ColumnWriter {
  const precision = type.precision ?? 38;
  const scale = type.scale ?? 0;
  const integerDigits = precision - scale;
  // Text → 128-bit DECIMAL is slow inside DuckDB (~10 µs a value); an exact scaled bigint is ~4x faster.
  const wide = precision > INT64_DECIMAL_PRECISION;
  return {
    type,
    prepare(value) {
      const text = numberText(value);
      // The narrow path appends the text itself: it need not be rewritten when it already is plain.
      const plain = text === undefined ? undefined : ((wide ? undefined : simpleNumber(text)) ?? plainNumber(text));
      // A DECIMAL cannot hold NaN or ±Infinity: the column becomes text rather than lose the value.
      if (typeof value === 'number' && !Number.isFinite(value)) return new NeedsWiderType(VARCHAR);
      if (plain === undefined) return text === undefined ? reject(value, type) : new NeedsWiderType(VARCHAR);
      if (plain.integerDigits > integerDigits || plain.scale > scale) {
        return new NeedsWiderType(decimalOrText(Math.max(plain.integerDigits, integerDigits), Math.max(plain.scale, scale)));
      }
      if (!wide) return plain.text;
      const [whole = '', fraction = ''] = plain.text.split('.');
      return new DuckDBDecimalValue(BigInt(whole + fraction.padEnd(scale, '0')), precision, scale);
    },
    append: wide ? (appender, prepared) => appender.appendDecimal(prepared as DuckDBDecimalValue) : appendVarchar,
  };
}

function timestampWriter(type: DuckType): ColumnWriter {
  const Value = type.kind === 'TIMESTAMPTZ' ? DuckDBTimestampTZValue : DuckDBTimestampValue;
  return {
    type,
    prepare(value) {
      if (value instanceof Date) return new Value(BigInt(value.getTime()) * 1000n);
      if (typeof value !== 'string') return reject(value, type);
      if (appenderSafeTimestamp(value)) return value;
      const micros = timestampMicros(value);
      // Anything else (infinity, years past 9999) DuckDB parses itself, or rejects with a clear message.
      return micros === undefined ? value : new Value(micros);
    },
    append(appender, prepared) {
      if (typeof prepared === 'string') appender.appendVarchar(prepared);
      else if (prepared instanceof DuckDBTimestampTZValue) appender.appendTimestampTZ(prepared);
      else appender.appendTimestamp(prepared as DuckDBTimestampValue);
    },
  };
}

function textParsedWriter(type: DuckType): ColumnWriter {
  return {
    type,
    prepare(value) {
      if (typeof value === 'string') return value;
      if (value instanceof Date && type.kind === 'DATE') return value.toISOString().slice(0, 10);
      return reject(value, type);
    },
    append: appendVarchar,
  };
}

function blobWriter(type: DuckType, encoding: 'base64' | 'base16'): ColumnWriter {
  return {
    type,
    prepare(value) {
      if (value instanceof Uint8Array) return value;
      if (typeof value !== 'string') return reject(value, type);
      if (encoding === 'base16') {
        const bytes = decodeBase16(value);
        if (!bytes) throw new Base16Rejected(value);
        return bytes;
      }
      if (!BASE64.test(value.replace(/\s+/g, ''))) throw new ValueRejected(`value ${describe(value)} is not base64 text`);
      return Buffer.from(value, 'base64');
    },
    append: (appender, prepared) => appender.appendBlob(prepared as Uint8Array),
  };
}

/** `\u0000` escapes in JSON text (an escaped backslash before `u0000` is not one). */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** Applies the NUL policy to text a writer prepared; `json` when the text is JSON (NUL appears escaped). */
function nulChecked(writer: ColumnWriter, policy: NulPolicy, json: (value: unknown) => boolean): ColumnWriter {
  if (policy === 'keep') return writer;
  return {
    type: writer.type,
    append: writer.append,
    prepare(value) {
      const text = writer.prepare(value);
      if (typeof text !== 'string') return text;
      const escaped = json(value);
      const found = escaped ? text.search(JSON_NUL) !== -1 : text.includes('\0');
      if (!found) return text;
      if (policy === 'reject') throw new NulRejected('value contains a NUL character (U+0000)');
      return escaped ? text.replace(JSON_NUL, '$1') : text.replaceAll('\0', '');
    },
  };
}

/** The writer for a column of `type`. */
export function columnWriter(type: DuckType, options: WriterOptions = {}): ColumnWriter {
  const writer = baseWriter(type, options);
  const policy = options.nulCharacters ?? 'keep';
  if (type.kind === 'JSON') return nulChecked(writer, policy, () => true);
  if (type.kind === 'VARCHAR' || type.kind === 'OTHER') return nulChecked(writer, policy, (value) => typeof value !== 'string');
  return writer;
}

function baseWriter(type: DuckType, options: WriterOptions): ColumnWriter {
  switch (type.kind) {
    case 'BOOLEAN':
      return {
        type,
        prepare: (value) => (typeof value === 'boolean' ? value : reject(value, type)),
        append: (appender, prepared) => appender.appendBoolean(prepared as boolean),
      };
    case 'BIGINT':
      return integerWriter(type, INT64_MIN, INT64_MAX, (n) => (n >= INT128_MIN && n <= INT128_MAX ? HUGEINT : VARCHAR));
    case 'HUGEINT':
      return integerWriter(type, INT128_MIN, INT128_MAX, () => VARCHAR);
    case 'DOUBLE':
      return {
        type,
        prepare(value) {
          if (typeof value === 'number') return value;
          const text = numberText(value);
          if (text === undefined) return reject(value, type);
          // A double holds it when it reads back as the same number; else the column keeps exact text.
          const double = Number(text);
          return plainNumber(String(double))?.text === plainNumber(text)?.text ? double : new NeedsWiderType(VARCHAR);
        },
        append: (appender, prepared) => appender.appendDouble(prepared as number),
      };
    case 'DECIMAL':
      return decimalWriter(type);
    case 'JSON':
      return { type, prepare: (value) => stringifyExactJson(value), append: appendVarchar };
    case 'DATE':
    case 'UUID':
      return textParsedWriter(type);
    case 'TIME': {
      // TIME would drop an offset silently; a value that has one moves the column to TIMETZ.
      const plain = textParsedWriter(type);
      return {
        type,
        prepare: (value) => (typeof value === 'string' && hasTimeOffset(value) ? new NeedsWiderType(TIMETZ) : plain.prepare(value)),
        append: appendVarchar,
      };
    }
    case 'TIMETZ':
      return { type, prepare: (value) => (typeof value === 'string' ? timetzText(value) : reject(value, type)), append: appendVarchar };
    case 'TIMESTAMP':
    case 'TIMESTAMPTZ':
      return timestampWriter(type);
    case 'BLOB':
      return blobWriter(type, options.contentEncoding ?? 'base64');
    case 'VARCHAR':
    case 'OTHER':
      // OTHER: a type set by hand; DuckDB casts the text (and says so when it cannot).
      return { type, prepare: textOf, append: appendVarchar };
  }
}
