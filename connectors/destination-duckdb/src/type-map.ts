import { widenLogicalType, type ColumnType, type LogicalType } from '@mage-int/core/sql';

/** The DuckDB column types this destination creates; `OTHER` is any type a user gave a column by hand. */
export type DuckKind =
  | 'BOOLEAN'
  | 'BIGINT'
  | 'HUGEINT'
  | 'DOUBLE'
  | 'DECIMAL'
  | 'VARCHAR'
  | 'JSON'
  | 'DATE'
  | 'TIME'
  | 'TIMETZ'
  | 'TIMESTAMP'
  | 'TIMESTAMPTZ'
  | 'UUID'
  | 'BLOB'
  | 'OTHER';

export interface DuckType {
  kind: DuckKind;
  /** DECIMAL only. */
  precision?: number;
  scale?: number;
  /** OTHER only: the type as DuckDB names it. */
  name?: string;
}

/** DECIMAL's limit in DuckDB. */
export const MAX_DECIMAL_PRECISION = 38;
/** Digits left of the point a column of integer kind can hold (int64 → 19, int128 → 39). */
const INTEGER_DIGITS: Partial<Record<DuckKind, number>> = { BIGINT: 19, HUGEINT: 39 };

export const VARCHAR: DuckType = { kind: 'VARCHAR' };
export const BIGINT: DuckType = { kind: 'BIGINT' };
export const HUGEINT: DuckType = { kind: 'HUGEINT' };
export const TIMESTAMPTZ: DuckType = { kind: 'TIMESTAMPTZ' };
export const TIMETZ: DuckType = { kind: 'TIMETZ' };

/** The SQL spelling of a type, as used in DDL. */
export function sqlType(type: DuckType): string {
  switch (type.kind) {
    case 'DECIMAL':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'OTHER':
      return type.name ?? 'VARCHAR';
    default:
      return type.kind;
  }
}

export function sameType(a: DuckType, b: DuckType): boolean {
  return sqlType(a) === sqlType(b);
}

/** Reads a type as `duckdb_columns().data_type` reports it. */
export function parseDuckType(dataType: string): DuckType {
  const upper = dataType.trim().toUpperCase();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(upper);
  if (decimal) return { kind: 'DECIMAL', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  switch (upper) {
    case 'BOOLEAN':
    case 'BIGINT':
    case 'HUGEINT':
    case 'DOUBLE':
    case 'VARCHAR':
    case 'JSON':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
    case 'UUID':
    case 'BLOB':
      return { kind: upper };
    case 'TIMESTAMPTZ':
    case 'TIMESTAMP WITH TIME ZONE':
      return TIMESTAMPTZ;
    case 'TIMETZ':
    case 'TIME WITH TIME ZONE':
      return TIMETZ;
    default:
      return { kind: 'OTHER', name: dataType };
  }
}

/** A DECIMAL wide enough for `integerDigits` left and `scale` right of the point, else VARCHAR (exact text). */
export function decimalOrText(integerDigits: number, scale: number): DuckType {
  const precision = Math.max(1, integerDigits + scale);
  return precision <= MAX_DECIMAL_PRECISION ? { kind: 'DECIMAL', precision, scale } : VARCHAR;
}

/** `numeric(12,2)` / `decimal(12)` in a source's sql-datatype. */
function sqlDecimal(sqlType: string | undefined): { precision: number; scale: number } | undefined {
  const match = /^\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(sqlType ?? '');
  return match ? { precision: Number(match[1]), scale: Number(match[2] ?? 0) } : undefined;
}

/**
 * The DuckDB type for a field. Exact numbers stay exact: integers are BIGINT (widened per value to HUGEINT,
 * then VARCHAR), decimals with a known scale are DECIMAL(p,s) when p ≤ 38, and decimals of unknown scale or
 * more than 38 digits are VARCHAR holding the exact digits.
 */
export function duckTypeFor(column: ColumnType): DuckType {
  switch (column.logical) {
    case 'boolean':
      return { kind: 'BOOLEAN' };
    case 'integer':
      return BIGINT;
    case 'number':
      return { kind: 'DOUBLE' };
    case 'decimal': {
      const declared = sqlDecimal(column.sqlType);
      const scale = column.scale ?? declared?.scale;
      if (scale === undefined) return VARCHAR;
      const precision = column.precision ?? declared?.precision;
      if (precision === undefined) return decimalOrText(MAX_DECIMAL_PRECISION - scale, scale);
      return decimalOrText(Math.max(precision - scale, 1), scale);
    }
    case 'string':
      return VARCHAR;
    case 'date':
      return { kind: 'DATE' };
    case 'time':
      return /with time zone|timetz/i.test(column.sqlType ?? '') ? TIMETZ : { kind: 'TIME' };
    case 'timestamp':
      return { kind: 'TIMESTAMP' };
    case 'timestamptz':
      return TIMESTAMPTZ;
    case 'uuid':
      return { kind: 'UUID' };
    case 'binary':
      return { kind: 'BLOB' };
    case 'json':
      return { kind: 'JSON' };
  }
}

const LOGICAL: Record<Exclude<DuckKind, 'OTHER'>, LogicalType> = {
  BOOLEAN: 'boolean',
  BIGINT: 'integer',
  HUGEINT: 'integer',
  DOUBLE: 'number',
  DECIMAL: 'decimal',
  VARCHAR: 'string',
  JSON: 'json',
  DATE: 'date',
  TIME: 'time',
  TIMETZ: 'time',
  TIMESTAMP: 'timestamp',
  TIMESTAMPTZ: 'timestamptz',
  UUID: 'uuid',
  BLOB: 'binary',
};

/** Digits left of the point a type holds exactly, for integer and DECIMAL types. */
function integerDigits(type: DuckType): number | undefined {
  if (type.kind === 'DECIMAL') return (type.precision ?? MAX_DECIMAL_PRECISION) - (type.scale ?? 0);
  return INTEGER_DIGITS[type.kind];
}

/**
 * The type a column must get to hold its current values and values of `incoming`, never losing any:
 * integer and decimal types meet in a DECIMAL wide enough for both (or VARCHAR beyond 38 digits), the rest
 * follows `widenLogicalType`. VARCHAR holds the text of anything, so it never changes; neither do types a
 * user chose by hand. Where a DECIMAL would round existing floats, the column becomes VARCHAR instead.
 */
export function widenDuckType(current: DuckType, incoming: DuckType): DuckType {
  if (sameType(current, incoming) || current.kind === 'VARCHAR' || current.kind === 'OTHER') return current;
  if (incoming.kind === 'OTHER') return VARCHAR;
  // A time of day gains its offset; the logical types do not tell the two apart.
  if (current.kind === 'TIME' && incoming.kind === 'TIMETZ') return incoming;
  if (current.kind === 'TIMETZ' && incoming.kind === 'TIME') return current;
  const currentDigits = integerDigits(current);
  const incomingDigits = integerDigits(incoming);
  if (currentDigits !== undefined && incomingDigits !== undefined) {
    if (current.kind !== 'DECIMAL' && incoming.kind !== 'DECIMAL') return currentDigits >= incomingDigits ? current : incoming;
    return decimalOrText(Math.max(currentDigits, incomingDigits), Math.max(current.scale ?? 0, incoming.scale ?? 0));
  }
  const from = LOGICAL[current.kind];
  const to = LOGICAL[incoming.kind];
  const widened = widenLogicalType(from, to);
  if (widened === from) return current;
  // A DOUBLE turned DECIMAL would round what it holds; integer+number meet in an unbounded decimal: text.
  if (widened === 'decimal') return incoming.kind === 'DECIMAL' && current.kind !== 'DOUBLE' ? incoming : VARCHAR;
  if (widened === to) return incoming;
  return widened === 'json' ? { kind: 'JSON' } : VARCHAR;
}
