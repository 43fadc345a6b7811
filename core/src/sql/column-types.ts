import { schemaTypes, type JsonSchema } from '../protocol/json-schema.js';

/**
 * The engine-neutral type of a column, from a field's JSON Schema. Destinations map it to their native types.
 * `sqlType` carries the source's exact type when the SCHEMA provides `sql-datatype` (or `x-sql-datatype`).
 */
export type LogicalType =
  | 'boolean'
  | 'integer'
  | 'number'
  | 'decimal'
  | 'string'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'uuid'
  | 'binary'
  | 'json';

export interface ColumnType {
  logical: LogicalType;
  nullable: boolean;
  /** For `decimal`: precision/scale when known. For `string`: maxLength when given. */
  precision?: number;
  scale?: number;
  maxLength?: number;
  /** The exact type the source reported, when the schema carries it. */
  sqlType?: string;
  /** For `binary`: how the JSON string encodes the bytes. */
  contentEncoding?: 'base64' | 'base16';
}

export interface ColumnTypeOptions {
  /**
   * The `interpret_content_encoding` setting: `contentEncoding: base16` strings become bytes (`binary`) when
   * true and stay text when false. Omitted: base16 is read as binary, as before the setting existed (callers
   * on the SQL kit always pass it).
   */
  interpretContentEncoding?: boolean;
}

/** Classifies a field's JSON Schema. Unions of scalar types and empty schemas become `json`. */
export function columnType(schema: JsonSchema, options: ColumnTypeOptions = {}): ColumnType {
  const types = schemaTypes(schema);
  const nullable = types.length === 0 || types.includes('null');
  const nonNull = types.filter((t) => t !== 'null');
  const sqlType =
    typeof schema['sql-datatype'] === 'string'
      ? schema['sql-datatype']
      : typeof schema['x-sql-datatype'] === 'string'
        ? schema['x-sql-datatype']
        : undefined;
  const base = { nullable, ...(sqlType ? { sqlType } : {}) };
  if (nonNull.length !== 1) {
    // integer+number is still a number; anything else mixed is a variant.
    if (nonNull.length === 2 && nonNull.includes('integer') && nonNull.includes('number')) return { ...base, logical: 'number' };
    return { ...base, logical: 'json' };
  }
  switch (nonNull[0]) {
    case 'boolean':
      return { ...base, logical: 'boolean' };
    case 'integer':
      return { ...base, logical: 'integer' };
    case 'number': {
      if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0 && schema.multipleOf < 1) {
        const scale = Math.max(0, Math.round(-Math.log10(schema.multipleOf)));
        return {
          ...base,
          logical: 'decimal',
          scale,
          precision: typeof schema['x-precision'] === 'number' ? schema['x-precision'] : undefined,
        };
      }
      if (schema['x-decimal'] === true || /^(numeric|decimal)/i.test(sqlType ?? '')) return { ...base, logical: 'decimal' };
      return { ...base, logical: 'number' };
    }
    case 'string':
      return { ...base, ...stringType(schema, options) };
    default:
      return { ...base, logical: 'json' };
  }
}

/** `sql-datatype`s that name a bytes column (PostgreSQL, MySQL, SQL Server, DuckDB, BigQuery). */
const BINARY_SQL_TYPE = /^\s*(bytea|(tiny|medium|long)?blob|(var)?binary|bytes)\b/i;

function stringType(schema: JsonSchema, options: ColumnTypeOptions): Omit<ColumnType, 'nullable'> {
  switch (schema.format) {
    case 'date-time':
      return {
        logical: /without time zone|^timestamp$|datetime|^timestamp_ntz/i.test(String(schema['sql-datatype'] ?? ''))
          ? 'timestamp'
          : 'timestamptz',
      };
    case 'date':
      return { logical: 'date' };
    case 'time':
      return { logical: 'time' };
    case 'uuid':
      return { logical: 'uuid' };
  }
  if (schema.contentEncoding === 'base64') return { logical: 'binary', contentEncoding: 'base64' };
  // Hex text is common in sources that mean it as text ("0xA1B2"): decoded only when the config says so, or
  // when the source says the column holds bytes (`sql-datatype: bytea`, as source-postgres sends them).
  if (
    schema.contentEncoding === 'base16' &&
    (options.interpretContentEncoding !== false || BINARY_SQL_TYPE.test(String(schema['sql-datatype'] ?? schema['x-sql-datatype'] ?? '')))
  ) {
    return { logical: 'binary', contentEncoding: 'base16' };
  }
  return { logical: 'string', ...(typeof schema.maxLength === 'number' ? { maxLength: schema.maxLength } : {}) };
}

const WIDENING: Record<LogicalType, readonly LogicalType[]> = {
  boolean: ['boolean'],
  integer: ['integer', 'decimal', 'number'],
  decimal: ['decimal'],
  number: ['number', 'decimal'],
  date: ['date', 'timestamp', 'timestamptz'],
  timestamp: ['timestamp', 'timestamptz'],
  timestamptz: ['timestamptz'],
  time: ['time'],
  uuid: ['uuid'],
  binary: ['binary'],
  string: ['string'],
  json: ['json'],
};

/**
 * The type a column must have to hold values of both `current` and `incoming` without loss:
 * the wider of the two when one widens to the other, else `string` (every scalar has a text form),
 * else `json`. Used for schema evolution; never narrows.
 */
export function widenLogicalType(current: LogicalType, incoming: LogicalType): LogicalType {
  if (current === incoming) return current;
  // Integers and floats meet in an exact decimal, so big integers keep every digit.
  if ((current === 'integer' && incoming === 'number') || (current === 'number' && incoming === 'integer')) return 'decimal';
  if (WIDENING[incoming].includes(current)) return current;
  if (WIDENING[current].includes(incoming)) return incoming;
  if (current === 'json' || incoming === 'json') return 'json';
  return 'string';
}
