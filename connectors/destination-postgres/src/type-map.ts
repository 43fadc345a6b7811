import type { JsonSchema } from '@mage-int/core';
import { columnType, type ColumnTypeOptions, type LogicalType, type MetadataColumn } from '@mage-int/core/sql';
import { parsePgType, type PgKind, type PgType } from './pg-types.js';

/** What a field's JSON Schema asks of its column. */
export interface FieldType {
  /** The column type to create (or widen to). */
  pg: PgType;
  logical: LogicalType;
  /** For binary fields: how the JSON string encodes the bytes. */
  contentEncoding?: 'base64' | 'base16';
  /** The source said the column is json/jsonb and sends JSON text as a string: load the text, do not quote it. */
  jsonText?: boolean;
}

/** Column types for each JSON Schema classification when the SCHEMA carries no usable `sql-datatype`. */
const DEFAULT_TYPES: Record<LogicalType, PgType> = {
  boolean: { kind: 'bool' },
  integer: { kind: 'int8' },
  // JSON numbers may carry any number of digits (exact decimals): only numeric holds them all.
  number: { kind: 'numeric' },
  decimal: { kind: 'numeric' },
  string: { kind: 'text' },
  date: { kind: 'date' },
  time: { kind: 'time' },
  timestamp: { kind: 'timestamp' },
  timestamptz: { kind: 'timestamptz' },
  uuid: { kind: 'uuid' },
  binary: { kind: 'bytea' },
  json: { kind: 'jsonb' },
};

const STRINGY: PgKind[] = [
  'text',
  'varchar',
  'bpchar',
  'interval',
  'uuid',
  'inet',
  'cidr',
  'macaddr',
  'xml',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
];

/** Which `sql-datatype` kinds are believable for each JSON Schema classification. */
const COMPATIBLE: Record<LogicalType, readonly PgKind[]> = {
  boolean: ['bool'],
  integer: ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'],
  number: ['numeric', 'float4', 'float8'],
  decimal: ['numeric', 'float4', 'float8'],
  string: [...STRINGY, 'json', 'jsonb'],
  date: ['date', 'timestamp', 'timestamptz', 'text', 'varchar'],
  time: ['time', 'timetz', 'text', 'varchar'],
  timestamp: ['timestamp', 'timestamptz', 'date', 'text', 'varchar'],
  timestamptz: ['timestamptz', 'timestamp', 'date', 'text', 'varchar'],
  uuid: ['uuid', 'text', 'varchar', 'bpchar'],
  binary: ['bytea'],
  json: ['json', 'jsonb', 'array'],
};

/**
 * Maps a field's JSON Schema to a PostgreSQL column type. A `sql-datatype` that names a PostgreSQL type and
 * agrees with the JSON type is kept exactly (numeric(12,2) stays numeric(12,2)); anything else falls back to
 * the JSON Schema mapping, so another engine's type names or a lying schema never break the load.
 */
export function fieldType(schema: JsonSchema, options: ColumnTypeOptions = {}): FieldType {
  const column = columnType(schema, options);
  const encoding = column.contentEncoding ? { contentEncoding: column.contentEncoding } : {};
  if (column.sqlType) {
    const exact = parsePgType(column.sqlType);
    if (exact && COMPATIBLE[column.logical].includes(exact.kind) && (exact.kind !== 'array' || arrayElementsFit(schema, exact))) {
      const jsonText = column.logical === 'string' && (exact.kind === 'json' || exact.kind === 'jsonb');
      return { pg: exact, logical: column.logical, ...encoding, ...(jsonText ? { jsonText } : {}) };
    }
  }
  if (
    column.logical === 'decimal' &&
    column.precision !== undefined &&
    column.scale !== undefined &&
    column.precision <= 1000 &&
    column.scale <= column.precision
  ) {
    return { pg: { kind: 'numeric', precision: column.precision, scale: column.scale }, logical: 'decimal' };
  }
  return { pg: DEFAULT_TYPES[column.logical], logical: column.logical, ...encoding };
}

/** A native array type is used only for a JSON array schema (whose items are not objects). */
function arrayElementsFit(schema: JsonSchema, type: PgType): boolean {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types.includes('array') || types.some((t) => t !== 'array' && t !== 'null')) return false;
  const element = type.element?.kind;
  return element !== undefined && element !== 'array' && element !== 'other';
}

/** The column types of the record metadata columns. */
export const METADATA_TYPES = {
  _sdc_extracted_at: { kind: 'timestamptz' },
  _sdc_received_at: { kind: 'timestamptz' },
  _sdc_batched_at: { kind: 'timestamptz' },
  _sdc_deleted_at: { kind: 'timestamptz' },
  _sdc_sequence: { kind: 'int8' },
  _sdc_table_version: { kind: 'int8' },
} as const satisfies Record<MetadataColumn, PgType>;
