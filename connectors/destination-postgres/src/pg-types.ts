/**
 * PostgreSQL column types as this destination reasons about them: parsed from a SCHEMA's `sql-datatype` or from
 * `format_type()` of an existing column, printed back for DDL, and widened for schema evolution.
 */
export type PgKind =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'numeric'
  | 'float4'
  | 'float8'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'date'
  | 'time'
  | 'timetz'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'bytea'
  | 'inet'
  | 'cidr'
  | 'macaddr'
  | 'xml'
  | 'array'
  /** A type this destination does not know (an enum, a domain, an extension type): loaded through its text form. */
  | 'other';

export interface PgType {
  kind: PgKind;
  /** numeric precision/scale, varchar/bpchar length, when the type has them. */
  precision?: number;
  scale?: number;
  length?: number;
  /** For arrays: the element type. */
  element?: PgType;
  /** For `other`: the name as PostgreSQL printed it. */
  name?: string;
}

const SIMPLE: Record<string, PgKind> = {
  bool: 'bool',
  boolean: 'bool',
  smallint: 'int2',
  int2: 'int2',
  smallserial: 'int2',
  integer: 'int4',
  int: 'int4',
  int4: 'int4',
  serial: 'int4',
  mediumint: 'int4',
  bigint: 'int8',
  int8: 'int8',
  bigserial: 'int8',
  real: 'float4',
  float4: 'float4',
  'double precision': 'float8',
  float8: 'float8',
  double: 'float8',
  float: 'float8',
  text: 'text',
  'character varying': 'varchar',
  varchar: 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  bpchar: 'bpchar',
  date: 'date',
  time: 'time',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
  timetz: 'timetz',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  timestamptz: 'timestamptz',
  interval: 'interval',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  xml: 'xml',
};

/** Names of array element types as `udt_name` prints them (`_int4`). */
const UDT_ARRAY: Record<string, PgKind> = {
  _bool: 'bool',
  _int2: 'int2',
  _int4: 'int4',
  _int8: 'int8',
  _numeric: 'numeric',
  _float4: 'float4',
  _float8: 'float8',
  _text: 'text',
  _varchar: 'varchar',
  _bpchar: 'bpchar',
  _date: 'date',
  _time: 'time',
  _timetz: 'timetz',
  _timestamp: 'timestamp',
  _timestamptz: 'timestamptz',
  _interval: 'interval',
  _uuid: 'uuid',
  _json: 'json',
  _jsonb: 'jsonb',
  _bytea: 'bytea',
  _inet: 'inet',
  _cidr: 'cidr',
  _macaddr: 'macaddr',
};

/**
 * Parses a PostgreSQL type name (`numeric(12,2)`, `character varying(40)`, `timestamp(3) with time zone`,
 * `integer[]`, `_int4`, `int8`). Returns undefined for names that are not PostgreSQL built-ins (another
 * engine's `datetime`, `tinyint(1)`, information_schema's `ARRAY`/`USER-DEFINED`), so callers fall back
 * to the JSON Schema mapping.
 */
export function parsePgType(name: string): PgType | undefined {
  let text = name.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text.endsWith('[]')) {
    const element = parsePgType(text.replace(/(\[\d*\])+$/, ''));
    return element && element.kind !== 'array' ? { kind: 'array', element } : undefined;
  }
  const udt = UDT_ARRAY[text];
  if (udt) return { kind: 'array', element: { kind: udt } };
  // Strip a precision on time types: `timestamp(3) with time zone` → `timestamp with time zone`.
  text = text.replace(/^(timestamp|time)\s*\(\d+\)/, '$1');
  const args = /^([a-z ]+?)\s*\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)$/.exec(text);
  if (args) {
    const base = args[1] ?? '';
    const first = Number(args[2]);
    const second = args[3] === undefined ? undefined : Number(args[3]);
    if (base === 'numeric' || base === 'decimal')
      return second === undefined ? { kind: 'numeric', precision: first, scale: 0 } : { kind: 'numeric', precision: first, scale: second };
    const kind = SIMPLE[base];
    if (kind === 'varchar' || kind === 'bpchar') return { kind, length: first };
    if (base === 'float') return { kind: first <= 24 ? 'float4' : 'float8' };
    if (kind && second === undefined && (kind === 'text' || kind === 'int4' || kind === 'int8' || kind === 'int2')) return { kind };
    return undefined;
  }
  if (text === 'numeric' || text === 'decimal') return { kind: 'numeric' };
  const kind = SIMPLE[text];
  return kind ? { kind } : undefined;
}

/** The type as PostgreSQL DDL spells it. */
export function formatPgType(type: PgType): string {
  switch (type.kind) {
    case 'bool':
      return 'boolean';
    case 'int2':
      return 'smallint';
    case 'int4':
      return 'integer';
    case 'int8':
      return 'bigint';
    case 'numeric':
      return type.precision !== undefined ? `numeric(${type.precision},${type.scale ?? 0})` : 'numeric';
    case 'float4':
      return 'real';
    case 'float8':
      return 'double precision';
    case 'varchar':
      return type.length !== undefined ? `character varying(${type.length})` : 'character varying';
    case 'bpchar':
      return `character(${type.length ?? 1})`;
    case 'time':
      return 'time without time zone';
    case 'timetz':
      return 'time with time zone';
    case 'timestamp':
      return 'timestamp without time zone';
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'array':
      return `${formatPgType(type.element ?? { kind: 'text' })}[]`;
    case 'other':
      return type.name ?? 'text';
    default:
      return type.kind;
  }
}

/** Two types are the same column type (what `ALTER COLUMN TYPE` would not change). */
export function samePgType(a: PgType, b: PgType): boolean {
  return formatPgType(a) === formatPgType(b);
}

const INTEGER_RANK: Partial<Record<PgKind, number>> = { int2: 1, int4: 2, int8: 3 };
/** Digits before the decimal point each integer type needs. */
const INTEGER_DIGITS: Partial<Record<PgKind, number>> = { int2: 5, int4: 10, int8: 19 };
const TEXT_RANK: Partial<Record<PgKind, number>> = { bpchar: 1, varchar: 2, text: 3 };
const TIME_RANK: Partial<Record<PgKind, number>> = { date: 1, timestamp: 2, timestamptz: 3 };
const JSON_LIKE = new Set<PgKind>(['json', 'jsonb', 'array']);
const TEXTUAL = new Set<PgKind>(['text', 'varchar', 'bpchar']);

function isNumericFamily(kind: PgKind): boolean {
  return kind === 'int2' || kind === 'int4' || kind === 'int8' || kind === 'numeric' || kind === 'float4' || kind === 'float8';
}

/** Widest numeric of two numerics with typmods; unconstrained when either is or when it would not fit. */
function widenNumeric(a: PgType, b: PgType): PgType {
  const digits = (t: PgType): { int: number; scale: number } | undefined => {
    if (t.kind === 'numeric') return t.precision === undefined ? undefined : { int: t.precision - (t.scale ?? 0), scale: t.scale ?? 0 };
    const int = INTEGER_DIGITS[t.kind];
    return int === undefined ? undefined : { int, scale: 0 };
  };
  const da = digits(a);
  const db = digits(b);
  if (!da || !db) return { kind: 'numeric' };
  const scale = Math.max(da.scale, db.scale);
  const precision = Math.max(da.int, db.int) + scale;
  return precision <= 1000 && scale >= 0 ? { kind: 'numeric', precision, scale } : { kind: 'numeric' };
}

/**
 * The column type that holds every value of `current` and of `incoming` without loss, or `current` itself when
 * it already does (never narrows):
 * - integers widen smallint → integer → bigint → numeric; integers meet floats in numeric; numeric(p,s) grows;
 * - character(n) → varchar(n) → varchar(m) → text;
 * - date → timestamp → timestamptz; time → timetz; json → jsonb;
 * - anything else that cannot widen becomes jsonb when either side is JSON or an array, else text.
 */
export function widenPgType(current: PgType, incoming: PgType): PgType {
  if (samePgType(current, incoming)) return current;
  const a = current.kind;
  const b = incoming.kind;
  // A type we do not know (an enum, a domain) was chosen by whoever made the table: load through its text form.
  if (a === 'other') return current;
  if (isNumericFamily(a) && isNumericFamily(b)) {
    const ra = INTEGER_RANK[a];
    const rb = INTEGER_RANK[b];
    if (ra !== undefined && rb !== undefined) return ra >= rb ? current : incoming;
    if ((a === 'float4' || a === 'float8') && (b === 'float4' || b === 'float8')) return a === 'float8' ? current : incoming;
    if (a === 'numeric' && current.precision === undefined) return current;
    if (a === 'numeric' && (b === 'float4' || b === 'float8')) return { kind: 'numeric' };
    if (a === 'float4' || a === 'float8' || b === 'float4' || b === 'float8') return { kind: 'numeric' };
    const widened = widenNumeric(current, incoming);
    return samePgType(widened, current) ? current : widened;
  }
  const ta = TEXT_RANK[a];
  const tb = TEXT_RANK[b];
  if (ta !== undefined && tb !== undefined) {
    if (a === 'text') return current;
    if (b === 'text') return incoming;
    const length = Math.max(current.length ?? 1, incoming.length ?? 1);
    // An unbounded varchar is as wide as text.
    if ((a === 'varchar' && current.length === undefined) || (b === 'varchar' && incoming.length === undefined)) return { kind: 'varchar' };
    return { kind: 'varchar', length };
  }
  const da = TIME_RANK[a];
  const db = TIME_RANK[b];
  if (da !== undefined && db !== undefined) return da >= db ? current : incoming;
  if ((a === 'time' && b === 'timetz') || (a === 'timetz' && b === 'time')) return { kind: 'timetz' };
  if ((a === 'json' && b === 'jsonb') || (a === 'jsonb' && b === 'json')) return { kind: 'jsonb' };
  if (a === 'array' && b === 'array' && current.element && incoming.element) {
    const element = widenPgType(current.element, incoming.element);
    if (element.kind !== 'array' && element.kind !== 'jsonb' && element.kind !== 'json') {
      return samePgType(element, current.element) ? current : { kind: 'array', element };
    }
    return { kind: 'jsonb' };
  }
  if (a === 'jsonb') return current;
  if (JSON_LIKE.has(a) || JSON_LIKE.has(b)) return { kind: 'jsonb' };
  if (a === 'text') return current;
  return { kind: 'text' };
}

/** The `USING` expression that converts a column of type `from` to `to` (for ALTER COLUMN TYPE). */
export function conversionExpression(column: string, from: PgType, to: PgType): string {
  if (to.kind === 'jsonb') return from.kind === 'json' ? `${column}::jsonb` : `to_jsonb(${column})`;
  if (TEXTUAL.has(to.kind)) return `${column}::text::${formatPgType(to)}`;
  if (to.kind === 'timestamptz' && from.kind === 'timestamp') return `${column} AT TIME ZONE 'UTC'`;
  return `${column}::${formatPgType(to)}`;
}

/** True when the kind stores text-like values PostgreSQL parses from their text form (no special encoding). */
export function isTextual(kind: PgKind): boolean {
  return TEXTUAL.has(kind);
}
