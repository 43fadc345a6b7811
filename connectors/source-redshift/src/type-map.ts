import { Decimal, exactNumber, JsonText, type JsonSchema } from '@mage-int/core';

/** A column as SVV_COLUMNS describes it. */
export interface RedshiftColumn {
  name: string;
  dataType: string;
  length: number | null;
  precision: number | null;
  scale: number | null;
}

type Kind = 'integer' | 'decimal' | 'float' | 'boolean' | 'string' | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'super' | 'varbyte';

/** The kind of a column by its SVV_COLUMNS `data_type` (docs: Data types); anything else reads as text. */
export function kindOf(column: RedshiftColumn): Kind {
  switch (column.dataType.toLowerCase()) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'integer';
    case 'numeric':
    case 'decimal':
      return 'decimal';
    case 'real':
    case 'double precision':
      return 'float';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'time without time zone':
    case 'time with time zone':
      return 'time';
    case 'timestamp without time zone':
      return 'timestamp';
    case 'timestamp with time zone':
      return 'timestamptz';
    case 'super':
      return 'super';
    case 'varbyte':
    case 'binary varying':
      return 'varbyte';
    default:
      return 'string';
  }
}

/** Kinds whose SQL order is the order the source kit compares values in: replication keys and resumable keys. */
export const ORDERED_KINDS: ReadonlySet<Kind> = new Set(['integer', 'decimal', 'date', 'timestamp', 'timestamptz']);

/** The column's type as DDL and casts spell it (`numeric(38,2)`, `character varying(256)`). */
export function sqlDatatype(column: RedshiftColumn): string {
  const type = column.dataType.toLowerCase();
  if ((type === 'numeric' || type === 'decimal') && column.precision !== null) return `numeric(${column.precision},${column.scale ?? 0})`;
  if ((type === 'character varying' || type === 'character') && column.length !== null) return `${type}(${column.length})`;
  return type;
}

/** The JSON Schema of a column, with its Redshift type as `sql-datatype` (destinations keep NUMERIC scales, zones). */
export function fieldSchema(column: RedshiftColumn): JsonSchema {
  return { ...baseSchema(column), 'sql-datatype': sqlDatatype(column) };
}

/** The JSON type of a column (nullable: Redshift reports NOT NULL only for keys, and a view says nothing). */
function baseSchema(column: RedshiftColumn): JsonSchema {
  const nullable = <T extends string>(type: T) => ['null', type];
  switch (kindOf(column)) {
    case 'integer':
      return { type: nullable('integer') };
    case 'decimal':
      return column.scale === 0 ? { type: nullable('integer') } : { type: nullable('number') };
    case 'float':
      return { type: nullable('number') };
    case 'boolean':
      return { type: nullable('boolean') };
    case 'date':
      return { type: nullable('string'), format: 'date' };
    case 'time':
      return { type: nullable('string'), format: 'time' };
    case 'timestamp':
    case 'timestamptz':
      return { type: nullable('string'), format: 'date-time' };
    case 'super':
      return {};
    case 'varbyte':
      return { type: nullable('string'), contentEncoding: 'base64' };
    default:
      return { type: nullable('string') };
  }
}

/** The select-list expression of a column: SUPER as its JSON text, VARBYTE as hex, everything else as it is. */
export function selectExpression(column: RedshiftColumn, quote: (name: string) => string): string {
  const kind = kindOf(column);
  if (kind === 'super') return `JSON_SERIALIZE(${quote(column.name)}) AS ${quote(column.name)}`;
  if (kind === 'varbyte') return `TO_HEX(${quote(column.name)}) AS ${quote(column.name)}`;
  return quote(column.name);
}

/** `2024-01-02 03:04:05.123456+00` → `2024-01-02T03:04:05.123456+00:00`. */
function isoTimestamp(text: string, zoned: boolean): string {
  const t = text.replace(' ', 'T');
  if (!zoned) return t;
  return t.replace(/([+-]\d{2})$/, '$1:00').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

/** A value from its text (the text protocol, or an UNLOAD file), exactly: big integers and decimals keep every digit. */
export function textValue(column: RedshiftColumn, text: string | null): unknown {
  if (text === null) return null;
  switch (kindOf(column)) {
    case 'integer':
      return exactNumber(text, Number(text));
    case 'decimal': {
      const trimmed = /\./.test(text) ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
      const value = exactNumber(trimmed, Number(trimmed));
      return value instanceof Decimal || typeof value === 'bigint' || Number.isFinite(value) ? value : new Decimal(text);
    }
    case 'float':
      return Number(text);
    case 'boolean':
      return text === 't' || text === 'true' || text === '1';
    case 'timestamp':
      return isoTimestamp(text, false);
    case 'timestamptz':
      return isoTimestamp(text, true);
    case 'super':
      return new JsonText(text);
    case 'varbyte':
      return Buffer.from(text.replace(/^\\x/, ''), 'hex').toString('base64');
    default:
      return text;
  }
}
