import { Decimal, JsonText, type JsonSchema, type JsonSchemaType } from '@mage-int/core';
import { geometryToWkt } from './wkt.js';

/** A column as information_schema describes it. */
export interface ColumnInfo {
  name: string;
  /** DATA_TYPE, lower case: `bigint`, `datetime`, `enum`. */
  dataType: string;
  /** COLUMN_TYPE: `bigint(20) unsigned`, `decimal(65,30)`, `enum('a','b')`. */
  columnType: string;
  nullable: boolean;
  /** COLLATION_NAME of a text column: `utf8mb4_general_ci`. */
  collation?: string;
  /** MariaDB's json: a longtext with a json_valid() check constraint. */
  json?: boolean;
}

/** How values of one column are typed and read. */
export type ValueKind =
  | 'boolean'
  | 'bit'
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'double'
  | 'date'
  | 'datetime'
  | 'timestamp'
  | 'time'
  | 'year'
  | 'text'
  | 'binary'
  | 'json'
  | 'geometry';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'uuid', 'inet4', 'inet6']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const GEOMETRY_TYPES = new Set([
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

/** The kind of a column. */
export function valueKind(column: ColumnInfo): ValueKind {
  const type = column.dataType.toLowerCase();
  const declared = column.columnType.toLowerCase();
  if (type === 'tinyint' && /^tinyint\(1\)/.test(declared)) return 'boolean';
  if (type === 'bit') return declared === 'bit(1)' ? 'boolean' : 'bit';
  if (INTEGER_TYPES.has(type)) return 'integer';
  if (type === 'bigint') return 'bigint';
  if (type === 'decimal' || type === 'numeric') return 'decimal';
  if (type === 'float') return 'float';
  if (type === 'double' || type === 'real') return 'double';
  if (type === 'date') return 'date';
  if (type === 'datetime') return 'datetime';
  if (type === 'timestamp') return 'timestamp';
  if (type === 'time') return 'time';
  if (type === 'year') return 'year';
  if (type === 'json' || column.json) return 'json';
  if (BINARY_TYPES.has(type)) return 'binary';
  if (GEOMETRY_TYPES.has(type)) return 'geometry';
  if (TEXT_TYPES.has(type)) return 'text';
  return 'text';
}

const JSON_TYPES: JsonSchemaType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean'];

/** The JSON Schema of a non-null value of a kind. */
function kindSchema(kind: ValueKind, column: ColumnInfo): JsonSchema {
  switch (kind) {
    case 'boolean':
      return { type: ['boolean'] };
    case 'bit':
    case 'integer':
    case 'bigint':
    case 'year':
      return { type: ['integer'] };
    case 'decimal':
    case 'float':
    case 'double':
      return { type: ['number'] };
    case 'date':
      return { type: ['string'], format: 'date' };
    case 'datetime':
    case 'timestamp':
      return { type: ['string'], format: 'date-time' };
    case 'binary':
      return { type: ['string'], contentEncoding: 'base16' };
    case 'json':
      return { type: JSON_TYPES };
    case 'text':
      return column.dataType.toLowerCase() === 'uuid' ? { type: ['string'], format: 'uuid' } : { type: ['string'] };
    default:
      return { type: ['string'] };
  }
}

/**
 * The JSON Schema of a column, nullable unless NOT NULL, with `sql-datatype` naming the declared MySQL type
 * (`bigint(20) unsigned`, `datetime(6)`), so a MySQL destination recreates it exactly. MariaDB's json (a longtext
 * checked with json_valid) is announced as `json`.
 */
export function columnSchema(column: ColumnInfo, key = false): JsonSchema {
  const kind = valueKind(column);
  const schema: JsonSchema = { ...kindSchema(kind, column), 'sql-datatype': kind === 'json' ? 'json' : column.columnType };
  if (column.nullable && !key) schema.type = ['null', ...(schema.type as JsonSchemaType[])];
  return schema;
}

/** Kinds whose values order the same in MySQL and in the source kit's comparison: replication keys. */
export function isOrderable(kind: ValueKind): boolean {
  return (
    kind !== 'json' &&
    kind !== 'geometry' &&
    kind !== 'binary' &&
    kind !== 'bit' &&
    kind !== 'boolean' &&
    kind !== 'float' &&
    kind !== 'double' &&
    kind !== 'time'
  );
}

/**
 * The server orders the column's values the way the source kit compares them (numbers numerically, times in time,
 * text by code point): true for every orderable kind but text in a collation other than a binary one (`_ci`
 * collations fold case, so `a` and `B` sort the other way round) and enum/set (ordered by their position).
 */
export function ordersLikeTheKit(column: ColumnInfo): boolean {
  const kind = valueKind(column);
  if (!isOrderable(kind)) return false;
  if (kind !== 'text') return true;
  const type = column.dataType.toLowerCase();
  if (type === 'enum' || type === 'set') return false;
  return column.collation === undefined || /_bin$/i.test(column.collation);
}

/** A zero date (`0000-00-00`, `2024-00-10`, `0000-00-00 00:00:00`): no other system accepts one. */
export function isZeroDate(text: string): boolean {
  return (
    text.startsWith('0000') ||
    (text.charCodeAt(5) === 48 && text.charCodeAt(6) === 48) ||
    (text.charCodeAt(8) === 48 && text.charCodeAt(9) === 48)
  );
}

/** Called for a zero date: returns null (after warning) or throws, per `zero_dates`. */
export type ZeroDateHandler = (column: string) => null;

function asText(value: unknown): string {
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function integer(value: unknown): number | bigint {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  const text = asText(value);
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function bitValue(value: unknown): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return integer(value);
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(asText(value), 'binary');
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  return Number.isSafeInteger(Number(n)) ? Number(n) : n;
}

/** `2024-01-02 03:04:05.123456` → `2024-01-02T03:04:05.123456` (the zone added by the caller). */
function isoDateTime(text: string): string {
  return text.length > 10 && text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
}

/**
 * A function from what the driver (numbers, lossless strings for BIGINT/DECIMAL/dates, Buffers for bytes) or the
 * binlog reader (numbers, strings, Buffers, geometry objects) gives for a non-null value of the column, to the
 * record value.
 */
export type ValueConverter = (value: unknown) => unknown;

/** The converter of a column. `zeroDate` decides what a zero date becomes. */
export function valueConverter(column: ColumnInfo, zeroDate: ZeroDateHandler): ValueConverter {
  const kind = valueKind(column);
  switch (kind) {
    case 'boolean':
      return (v) =>
        Buffer.isBuffer(v) ? v.some((b) => b !== 0) : typeof v === 'number' ? v !== 0 : typeof v === 'boolean' ? v : asText(v) !== '0';
    case 'bit':
      return bitValue;
    case 'integer':
      return (v) => (typeof v === 'number' ? v : Number(asText(v)));
    case 'bigint':
    case 'year':
      return integer;
    case 'decimal':
      return (v) => new Decimal(asText(v));
    case 'float':
      // The binlog has the float32 bits; the server prints 6 significant digits, as a query returns it.
      return (v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : Number(asText(v)));
    case 'double':
      return (v) => (typeof v === 'number' ? v : Number(asText(v)));
    case 'date':
      return (v) => {
        const text = asText(v);
        return isZeroDate(text) ? zeroDate(column.name) : text;
      };
    case 'datetime':
      return (v) => {
        const text = asText(v);
        return isZeroDate(text) ? zeroDate(column.name) : isoDateTime(text);
      };
    case 'timestamp':
      return (v) => {
        const text = asText(v);
        return isZeroDate(text) ? zeroDate(column.name) : `${isoDateTime(text)}+00:00`;
      };
    case 'time':
      return asText;
    case 'binary':
      return (v) => (Buffer.isBuffer(v) ? v.toString('hex') : Buffer.from(asText(v), 'utf8').toString('hex'));
    case 'json':
      return (v) => (v instanceof JsonText ? v : new JsonText(asText(v)));
    case 'geometry':
      return (v) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : geometryToWkt(v, column.dataType));
    default:
      return asText;
  }
}

/** The SELECT expression of a column: geometry is read as WKT text, everything else as it is. */
export function selectExpression(column: ColumnInfo, quoted: string): string {
  return valueKind(column) === 'geometry' ? `ST_AsText(${quoted}) AS ${quoted}` : quoted;
}
