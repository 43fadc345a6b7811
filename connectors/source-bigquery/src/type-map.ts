import { exactNumber, JsonText, type JsonSchema } from '@mage-int/core';

/** A BigQuery schema field (TableFieldSchema) as tables.get and query results describe it. */
export interface BigQueryField {
  name: string;
  type: string;
  mode?: string;
  fields?: BigQueryField[];
}

/** GoogleSQL name of a REST type name (`INTEGER` → `INT64`, `FLOAT` → `FLOAT64`, `BOOLEAN` → `BOOL`, `RECORD` → `STRUCT`). */
export function typeName(type: string): string {
  const upper = type.toUpperCase();
  return { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' }[upper] ?? upper;
}

/** The JSON Schema of a column; `sql-datatype` carries the BigQuery type (destinations keep it where they can). */
export function fieldSchema(field: BigQueryField): JsonSchema {
  const type = typeName(field.type);
  const base = scalarSchema(type, field);
  if (field.mode === 'REPEATED') return { type: 'array', items: base, 'sql-datatype': `ARRAY<${type}>` };
  if (field.mode === 'REQUIRED' || base.type === undefined) return { ...base, 'sql-datatype': type };
  const types = Array.isArray(base.type) ? base.type : [base.type];
  return { ...base, type: ['null', ...types] as JsonSchema['type'], 'sql-datatype': type };
}

function scalarSchema(type: string, field: BigQueryField): JsonSchema {
  switch (type) {
    case 'INT64':
      return { type: 'integer' };
    case 'FLOAT64':
      return { type: 'number' };
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return { type: 'number', 'x-decimal': true };
    case 'BOOL':
      return { type: 'boolean' };
    case 'BYTES':
      return { type: 'string', contentEncoding: 'base64' };
    case 'DATE':
      return { type: 'string', format: 'date' };
    case 'TIME':
      return { type: 'string', format: 'time' };
    // DATETIME has no time zone: `sql-datatype: DATETIME` tells destinations to keep it without one.
    case 'DATETIME':
    case 'TIMESTAMP':
      return { type: 'string', format: 'date-time' };
    case 'STRUCT':
      return { type: 'object', properties: Object.fromEntries((field.fields ?? []).map((f) => [f.name, fieldSchema(f)])) };
    case 'JSON':
      return {};
    default:
      // STRING, GEOGRAPHY (WKT), INTERVAL, RANGE: their canonical text.
      return { type: 'string' };
  }
}

/** Types a replication key can have: ordered, and compared by the query as the column's type. */
export const ORDERABLE = new Set(['INT64', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC', 'STRING', 'DATE', 'DATETIME', 'TIMESTAMP', 'TIME', 'BYTES']);

/** A µs-since-epoch text (results with `useInt64Timestamp`) as ISO UTC with microseconds. */
function timestampText(micros: string): string {
  const us = BigInt(micros);
  const fraction = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const seconds = (us - fraction) / 1_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
}

/**
 * A cell of the REST result format (`{v}`: every scalar as text) as a record value: integers and decimals exact
 * (number when a double holds them, else bigint/Decimal), TIMESTAMP as ISO UTC with µs, JSON as its text, bytes as
 * base64, arrays and structs element by element.
 */
export function cellValue(field: BigQueryField, v: unknown): unknown {
  if (v === null || v === undefined) return field.mode === 'REPEATED' ? [] : null;
  if (field.mode === 'REPEATED') return (v as { v: unknown }[]).map((item) => cellValue({ ...field, mode: 'NULLABLE' }, item.v));
  const text = v as string;
  switch (typeName(field.type)) {
    case 'INT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return exactNumber(text, Number(text));
    case 'FLOAT64':
      return Number(text);
    case 'BOOL':
      return text === 'true';
    case 'TIMESTAMP':
      return /^-?\d+$/.test(text) ? timestampText(text) : text;
    case 'JSON':
      return new JsonText(text);
    case 'STRUCT': {
      const fields = field.fields ?? [];
      const cells = (v as { f: { v: unknown }[] }).f;
      return Object.fromEntries(fields.map((f, i) => [f.name, cellValue(f, cells[i]?.v)]));
    }
    default:
      return text;
  }
}
