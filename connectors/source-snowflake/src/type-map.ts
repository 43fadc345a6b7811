import { exactNumber, JsonText, parseExactJson, type JsonSchema } from '@mage-int/core';

/** A column as INFORMATION_SCHEMA.COLUMNS (or a result's metadata) describes it, in Snowflake's type names. */
export interface SnowflakeColumn {
  name: string;
  /** `NUMBER`, `FLOAT`, `TEXT`, `BINARY`, `BOOLEAN`, `DATE`, `TIME`, `TIMESTAMP_NTZ`/`_LTZ`/`_TZ`, `VARIANT`, `OBJECT`, `ARRAY` … */
  type: string;
  precision?: number;
  scale?: number;
  length?: number;
  nullable: boolean;
}

/** INFORMATION_SCHEMA's DATA_TYPE names Snowflake's synonyms alike; the few it spells otherwise, as the type they are. */
export function typeName(type: string): string {
  const upper = type.toUpperCase().replace(/\(.*$/, '').trim();
  const synonyms: Record<string, string> = {
    DECIMAL: 'NUMBER',
    NUMERIC: 'NUMBER',
    INT: 'NUMBER',
    INTEGER: 'NUMBER',
    BIGINT: 'NUMBER',
    SMALLINT: 'NUMBER',
    TINYINT: 'NUMBER',
    BYTEINT: 'NUMBER',
    FIXED: 'NUMBER',
    REAL: 'FLOAT',
    DOUBLE: 'FLOAT',
    'DOUBLE PRECISION': 'FLOAT',
    FLOAT4: 'FLOAT',
    FLOAT8: 'FLOAT',
    STRING: 'TEXT',
    VARCHAR: 'TEXT',
    CHAR: 'TEXT',
    CHARACTER: 'TEXT',
    VARBINARY: 'BINARY',
    DATETIME: 'TIMESTAMP_NTZ',
    TIMESTAMP: 'TIMESTAMP_NTZ',
  };
  return synonyms[upper] ?? upper;
}

/** The `sql-datatype` of a column: Snowflake's type with its precision and scale (`NUMBER(38,2)`, `TIMESTAMP_TZ(9)`). */
export function sqlDatatype(column: SnowflakeColumn): string {
  const type = typeName(column.type);
  if (type === 'NUMBER') return `NUMBER(${column.precision ?? 38},${column.scale ?? 0})`;
  if (type === 'TEXT') return column.length !== undefined ? `VARCHAR(${column.length})` : 'VARCHAR';
  if (/^(TIME|TIMESTAMP_NTZ|TIMESTAMP_LTZ|TIMESTAMP_TZ)$/.test(type) && column.scale !== undefined) return `${type}(${column.scale})`;
  return type;
}

/** The largest VARCHAR (16 MB), Snowflake's default length: no `maxLength` worth saying. */
const MAX_VARCHAR = 16_777_216;

/**
 * The JSON Schema of a column, with `sql-datatype` naming the Snowflake type. NUMBER(p,0) is an integer (values
 * beyond 2^53 come as exact big integers), NUMBER(p,s) a decimal (`multipleOf` 10^-s, `x-precision` p, values exact),
 * FLOAT a number, TIMESTAMP_NTZ a date-time without offset, TIMESTAMP_LTZ/TZ date-times in UTC (µs), BINARY base64
 * text, VARIANT any JSON, OBJECT an object, ARRAY an array.
 */
export function columnSchema(column: SnowflakeColumn): JsonSchema {
  const base = scalarSchema(column);
  const withType = { ...base, 'sql-datatype': sqlDatatype(column) };
  if (!column.nullable || base.type === undefined) return withType;
  const types = Array.isArray(base.type) ? base.type : [base.type];
  return { ...withType, type: ['null', ...types] as JsonSchema['type'] };
}

function scalarSchema(column: SnowflakeColumn): JsonSchema {
  switch (typeName(column.type)) {
    case 'NUMBER': {
      const scale = column.scale ?? 0;
      if (scale === 0) return { type: 'integer' };
      return { type: 'number', multipleOf: Number(`1e-${scale}`), 'x-precision': column.precision ?? 38 };
    }
    case 'FLOAT':
      return { type: 'number' };
    case 'BOOLEAN':
      return { type: 'boolean' };
    case 'BINARY':
      return { type: 'string', contentEncoding: 'base64' };
    case 'DATE':
      return { type: 'string', format: 'date' };
    case 'TIME':
      return { type: 'string', format: 'time' };
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return { type: 'string', format: 'date-time' };
    case 'VARIANT':
      return {};
    case 'OBJECT':
      return { type: 'object' };
    case 'ARRAY':
      return { type: 'array' };
    case 'TEXT':
      return column.length !== undefined && column.length < MAX_VARCHAR ? { type: 'string', maxLength: column.length } : { type: 'string' };
    default:
      // GEOGRAPHY, GEOMETRY, VECTOR …: their text.
      return { type: 'string' };
  }
}

/** Types whose Snowflake order is the order the source kit compares values in (numbers and instants). */
export const KIT_ORDERED = new Set(['NUMBER', 'DATE', 'TIMESTAMP_NTZ', 'TIMESTAMP_LTZ', 'TIMESTAMP_TZ']);

/** Types a replication key can have: Snowflake orders them, and a bookmark of them is compared as the type. */
export const ORDERABLE = new Set([...KIT_ORDERED, 'FLOAT', 'TEXT', 'TIME']);

/**
 * Types the sdk hands over as Snowflake's text (exact numbers, JSON text) rather than converting them. A VARIANT is
 * passed on as Snowflake's text; OBJECT and ARRAY the sdk would parse into JavaScript (losing integers beyond 2^53),
 * so the query reads them as VARIANT (`CAST(… AS VARIANT)`).
 */
export const FETCH_AS_STRING = ['Number', 'JSON'] as const;

/** Snowflake type names of the sdk's result column types (`fixed`, `real`, `text` …). */
export function resultTypeName(sdkType: string): string {
  const names: Record<string, string> = { fixed: 'NUMBER', real: 'FLOAT', text: 'TEXT' };
  return names[sdkType] ?? sdkType.toUpperCase();
}

/** Seconds and nanoseconds since the epoch as ISO text with microseconds (the 7th–9th fraction digits dropped). */
function isoMicros(epochSeconds: number, nanos: number, zone: 'Z' | ''): string {
  const date = new Date(epochSeconds * 1000).toISOString().slice(0, 19);
  return `${date}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}${zone}`;
}

interface SfDate {
  getEpochSeconds(): number;
  getNanoSeconds(): number;
}

/**
 * A value as the sdk gives it (NUMBER and JSON as Snowflake's text, dates and times as its SfDate/SfTime with
 * exact epoch seconds and nanoseconds; TIME as `HH24:MI:SS.FF6` text) as a record value: NUMBER exact (number when a double holds it, else
 * bigint/Decimal), FLOAT a number (NaN and ±inf, which JSON cannot hold, as null), timestamps ISO with µs (LTZ and TZ
 * in UTC, `Z`; NTZ without an offset), DATE `YYYY-MM-DD`, TIME `HH:MM:SS.ffffff`, BINARY base64, VARIANT its JSON text,
 * OBJECT/ARRAY parsed exactly (read as VARIANT text).
 */
export function cellValue(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'NUMBER':
      // The sdk hands a SQL NULL fetched as a string over as the text `NULL`.
      return value === 'NULL' ? null : exactNumber(String(value), Number(value));
    case 'FLOAT': {
      if (value === 'NULL') return null;
      const n = Number(value);
      return Number.isFinite(n) ? n : null;
    }
    case 'BOOLEAN':
      return value === true || value === 'true' || value === '1';
    case 'DATE':
      return new Date((value as SfDate).getEpochSeconds() * 1000).toISOString().slice(0, 10);
    case 'TIME':
      // The sdk gives TIME as text in the session's TIME_OUTPUT_FORMAT (the source sets HH24:MI:SS.FF6), NULL as `NULL`.
      return value === 'NULL' ? null : String(value);
    case 'TIMESTAMP_NTZ': {
      const d = value as SfDate;
      return isoMicros(d.getEpochSeconds(), d.getNanoSeconds(), '');
    }
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ': {
      const d = value as SfDate;
      return isoMicros(d.getEpochSeconds(), d.getNanoSeconds(), 'Z');
    }
    case 'BINARY':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value), 'hex').toString('base64');
    case 'VARIANT':
      return new JsonText(typeof value === 'string' ? value : JSON.stringify(value));
    case 'OBJECT':
    case 'ARRAY':
      // Parsed (the schema says object/array), exactly: big integers as bigint, long decimals as Decimal.
      return typeof value === 'string' ? parseExactJson(value) : value;
    default:
      return typeof value === 'string' ? value : String(value);
  }
}
