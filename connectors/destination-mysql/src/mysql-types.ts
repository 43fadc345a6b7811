import { widenLogicalType, type LogicalType } from '@mage-int/core/sql';

/** A MySQL/MariaDB column type, as DDL spells it: `decimal(12,2)`, `bigint unsigned`, `enum('a','b')`. */
export interface MysqlType {
  /** Lower-case base name: `bigint`, `decimal`, `varchar`, `longtext`, `datetime`, `json`. */
  name: string;
  /** What goes inside the parentheses, as DDL spells it (`12,2`, `6`, `'a','b'`). */
  args?: string;
  unsigned?: boolean;
  /** The column is part of the table's primary key (from the catalog): it keeps a type a key can have. */
  key?: boolean;
}

/** Which server the types are for: MariaDB has `uuid`, `inet4`, `inet6`; MySQL does not. */
export interface ServerFlavor {
  mariadb: boolean;
}

const INTEGER_DIGITS: Record<string, number> = { tinyint: 3, smallint: 5, mediumint: 8, int: 10, bigint: 19 };
const INTEGER_RANK = ['tinyint', 'smallint', 'mediumint', 'int', 'bigint'];
const TEXTS = ['tinytext', 'text', 'mediumtext', 'longtext'];
const BLOBS = ['tinyblob', 'blob', 'mediumblob', 'longblob'];
const GEOMETRY = [
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
];
/** utf8mb4 VARCHAR holds at most 65,535 bytes: 16,383 four-byte characters. */
export const MAX_VARCHAR = 16_383;
/** The longest VARCHAR a key column gets when its field gives no length (3,072-byte index limit / 4 / up to 4 key columns). */
export const KEY_VARCHAR = 255;
/** The widest exact decimal MySQL has. */
export const MAX_PRECISION = 65;
export const MAX_SCALE = 30;

export const t = (name: string, args?: string | number, unsigned?: boolean): MysqlType => ({
  name,
  ...(args !== undefined ? { args: String(args) } : {}),
  ...(unsigned ? { unsigned } : {}),
});

const LONGTEXT = t('longtext');
const DECIMAL_WIDEST = t('decimal', `${MAX_PRECISION},${MAX_SCALE}`);

/** The DDL spelling. */
export function formatMysqlType(type: MysqlType): string {
  return `${type.name}${type.args !== undefined ? `(${type.args})` : ''}${type.unsigned ? ' unsigned' : ''}`;
}

export function sameMysqlType(a: MysqlType, b: MysqlType): boolean {
  return formatMysqlType(a) === formatMysqlType(b);
}

const ENUM_ARGS = /^'(?:[^'\\]|''|\\.)*'(?:,\s*'(?:[^'\\]|''|\\.)*')*$/s;

/**
 * A type MySQL/MariaDB would print in `information_schema.COLUMNS.COLUMN_TYPE` (as source-mysql sends it in
 * `sql-datatype`), normalised: integer display widths dropped except `tinyint(1)` (a boolean), `zerofill`
 * dropped. Undefined for anything else (another engine's type names, nonsense).
 */
export function parseMysqlType(text: string, flavor: ServerFlavor): MysqlType | undefined {
  const match = /^\s*([a-z]+)\s*(?:\((.*)\))?\s*(unsigned)?\s*(zerofill)?\s*$/is.exec(text);
  if (!match) return undefined;
  const name = match[1]!.toLowerCase();
  const args = match[2]?.trim();
  const unsigned = Boolean(match[3]);
  const number = (value: string | undefined, max: number) =>
    value !== undefined && /^\d+$/.test(value) && Number(value) <= max ? Number(value) : undefined;
  if (name in INTEGER_DIGITS || name === 'integer') {
    const base = name === 'integer' ? 'int' : name;
    if (base === 'tinyint' && args === '1' && !unsigned) return t('tinyint', 1);
    if (args !== undefined && number(args, 255) === undefined) return undefined;
    return t(base, undefined, unsigned);
  }
  switch (name) {
    case 'decimal':
    case 'numeric':
    case 'dec':
    case 'fixed': {
      // MySQL always prints the precision; a bare `numeric` is PostgreSQL's unbounded one (fromPostgresType).
      if (args === undefined) return undefined;
      const [p, s = '0'] = args.split(',').map((x) => x.trim());
      const precision = number(p, MAX_PRECISION);
      const scale = number(s, MAX_SCALE);
      if (precision === undefined || scale === undefined || scale > precision) return undefined;
      return t('decimal', `${precision},${scale}`, unsigned);
    }
    case 'float':
      return args === undefined ? t('float', undefined, unsigned) : undefined;
    case 'double':
      return args === undefined ? t('double', undefined, unsigned) : undefined;
    case 'bit': {
      const bits = number(args ?? '1', 64);
      return bits && bits > 0 ? t('bit', bits) : undefined;
    }
    case 'bool':
    case 'boolean':
      return args === undefined ? t('tinyint', 1) : undefined;
    case 'date':
    case 'year':
      return t(name);
    case 'datetime':
    case 'timestamp':
    case 'time': {
      const fsp = number(args ?? '0', 6);
      return fsp === undefined ? undefined : t(name, fsp > 0 ? fsp : undefined);
    }
    case 'char':
    case 'binary': {
      const length = number(args ?? '1', 255);
      return length === undefined ? undefined : t(name, length);
    }
    case 'varchar':
    case 'varbinary': {
      const length = number(args, name === 'varchar' ? MAX_VARCHAR : 65_532);
      return length === undefined ? undefined : t(name, length);
    }
    case 'enum':
    case 'set':
      return args !== undefined && ENUM_ARGS.test(args) ? t(name, args) : undefined;
    case 'json':
      return t('json');
    case 'uuid':
    case 'inet4':
    case 'inet6':
      // MariaDB's own types; on MySQL their text form.
      return flavor.mariadb ? t(name) : t('varchar', name === 'uuid' ? 36 : 45);
  }
  // `text` is also PostgreSQL's unbounded text: it becomes longtext, which holds every value of either.
  if (name === 'text' && args === undefined) return LONGTEXT;
  if ((TEXTS.includes(name) || BLOBS.includes(name) || GEOMETRY.includes(name)) && args === undefined)
    return t(name === 'geomcollection' ? 'geometrycollection' : name);
  return undefined;
}

/**
 * The MySQL equivalent of a PostgreSQL type name (as `format_type` prints it, which is what source-postgres sends
 * in `sql-datatype`); undefined when there is none (the JSON Schema mapping then applies).
 */
export function fromPostgresType(text: string, flavor: ServerFlavor): MysqlType | undefined {
  const sql = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const args = /\(([^)]*)\)/.exec(sql)?.[1];
  const base = sql.replace(/\s*\([^)]*\)/, '');
  switch (base) {
    case 'smallint':
    case 'int2':
      return t('smallint');
    case 'integer':
    case 'int4':
    case 'int':
      return t('int');
    case 'bigint':
    case 'int8':
      return t('bigint');
    case 'numeric':
    case 'decimal': {
      if (args === undefined) return DECIMAL_WIDEST;
      const [p = '', s = '0'] = args.split(',').map((x) => x.trim());
      const precision = Number(p);
      const scale = Number(s);
      if (!Number.isInteger(precision) || !Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) return DECIMAL_WIDEST;
      return precision <= MAX_PRECISION ? t('decimal', `${precision},${scale}`) : t('decimal', `${MAX_PRECISION},${scale}`);
    }
    // real is float4: its shortest text (0.1, 3.1415927) survives a double, not MySQL's 4-byte float.
    case 'real':
    case 'float4':
    case 'double precision':
    case 'float8':
      return t('double');
    case 'boolean':
    case 'bool':
      return t('tinyint', 1);
    case 'text':
    case 'citext':
    case 'xml':
    case 'character varying':
    case 'varchar': {
      const length = args === undefined ? undefined : Number(args);
      return length !== undefined && Number.isInteger(length) && length <= MAX_VARCHAR ? t('varchar', length) : LONGTEXT;
    }
    case 'character':
    case 'char':
    case 'bpchar': {
      const length = Number(args ?? 1);
      return length <= 255 ? t('char', length) : length <= MAX_VARCHAR ? t('varchar', length) : LONGTEXT;
    }
    case 'date':
      return t('date');
    case 'timestamp without time zone':
    case 'timestamp with time zone':
    case 'timestamptz':
    case 'timestamp':
      return t('datetime', 6);
    case 'time without time zone':
    case 'time':
      return t('time', 6);
    case 'json':
    case 'jsonb':
      return t('json');
    case 'bytea':
      return t('longblob');
    case 'uuid':
      return flavor.mariadb ? t('uuid') : t('char', 36);
    case 'inet':
    case 'cidr':
      return t('varchar', 43);
    case 'macaddr':
    case 'macaddr8':
      return t('varchar', 23);
  }
  return undefined;
}

/** The engine-neutral kind of a MySQL type. */
export function logicalOf(type: MysqlType): LogicalType {
  const { name } = type;
  if ((name === 'tinyint' && type.args === '1') || (name === 'bit' && type.args === '1')) return 'boolean';
  if (name in INTEGER_DIGITS || name === 'year' || name === 'bit') return 'integer';
  if (name === 'decimal') return 'decimal';
  if (name === 'float' || name === 'double') return 'number';
  if (name === 'date') return 'date';
  if (name === 'time') return 'time';
  if (name === 'datetime' || name === 'timestamp') return 'timestamptz';
  if (name === 'uuid') return 'uuid';
  if (name === 'binary' || name === 'varbinary' || BLOBS.includes(name)) return 'binary';
  if (name === 'json') return 'json';
  return 'string';
}

/** How values of a type travel in LOAD DATA text and INSERT literals. */
export type ValueForm = 'boolean-number' | 'number' | 'bit' | 'binary' | 'datetime' | 'geometry' | 'text';

export function valueForm(type: MysqlType): ValueForm {
  const { name } = type;
  if (name === 'bit') return 'bit';
  if (name === 'binary' || name === 'varbinary' || BLOBS.includes(name)) return 'binary';
  if (name === 'datetime' || name === 'timestamp') return 'datetime';
  if (GEOMETRY.includes(name)) return 'geometry';
  if (name in INTEGER_DIGITS || name === 'decimal' || name === 'float' || name === 'double' || name === 'year') return 'number';
  return 'text';
}

/** Types a primary key cannot have (no length): text, blobs, json, geometry. */
export function needsKeyLength(type: MysqlType): boolean {
  return TEXTS.includes(type.name) || BLOBS.includes(type.name) || type.name === 'json' || GEOMETRY.includes(type.name);
}

/** The type a key column gets instead of one it cannot have. */
export function keyType(type: MysqlType): MysqlType {
  if (!needsKeyLength(type)) return type;
  return BLOBS.includes(type.name) ? t('varbinary', KEY_VARCHAR) : t('varchar', KEY_VARCHAR);
}

/** Bytes a character or binary column's length stands for, or undefined when unbounded (text, blob). */
function boundedLength(type: MysqlType): number | undefined {
  if (['char', 'varchar', 'binary', 'varbinary'].includes(type.name)) return Number(type.args);
  if (type.name === 'uuid') return 36;
  if (type.name === 'inet4' || type.name === 'inet6') return 45;
  return undefined;
}

/** Integer digits and scale of an exact numeric type (integers have scale 0). */
function digits(type: MysqlType): { integer: number; scale: number } | undefined {
  if (type.name in INTEGER_DIGITS)
    return { integer: INTEGER_DIGITS[type.name]! + (type.unsigned && type.name === 'bigint' ? 1 : 0), scale: 0 };
  if (type.name === 'decimal') {
    const [p, s] = (type.args ?? '10,0').split(',').map(Number);
    return { integer: p! - s!, scale: s! };
  }
  return undefined;
}

/**
 * A type that holds every value of `current` and `incoming` (schema evolution); never narrower than `current`.
 * Within a family the wider member (bigint over int, decimal(14,4) over decimal(12,2), varchar(50) over
 * varchar(20), longtext over text, datetime(6) over date); across families core/sql's lattice (integers and
 * floats meet in a decimal, anything and text is text, anything and JSON is JSON). A key column never becomes a
 * type a key cannot have: it stays as it is (a longer value is then refused by the server, loudly).
 */
export function widenMysqlType(current: MysqlType, incoming: MysqlType): MysqlType {
  const keep = current.key ? { key: true } : {};
  const result = widenTypes({ ...current, key: undefined }, incoming);
  if (current.key && needsKeyLength(result)) return current;
  return sameMysqlType(result, current) ? current : { ...result, ...keep };
}

function widenTypes(current: MysqlType, incoming: MysqlType): MysqlType {
  if (sameMysqlType(current, incoming)) return current;
  const a = logicalOf(current);
  const b = logicalOf(incoming);
  const da = digits(current);
  const db = digits(incoming);
  if (da && db) {
    if (current.name in INTEGER_DIGITS && incoming.name in INTEGER_DIGITS && Boolean(current.unsigned) === Boolean(incoming.unsigned)) {
      return INTEGER_RANK.indexOf(current.name) >= INTEGER_RANK.indexOf(incoming.name) ? current : incoming;
    }
    const scale = Math.max(da.scale, db.scale);
    const integer = Math.max(da.integer, db.integer);
    return t('decimal', `${Math.min(MAX_PRECISION, integer + scale)},${scale}`);
  }
  if (a === 'boolean' && b === 'boolean') return t('tinyint', 1);
  if ((current.name === 'float' && incoming.name === 'double') || (current.name === 'double' && incoming.name === 'float'))
    return t('double');
  if (current.name === 'bit' && incoming.name === 'bit') return Number(current.args) >= Number(incoming.args) ? current : incoming;
  if (a === 'number' && b === 'integer' && current.name === 'double' && incoming.name !== 'bigint') return current;
  if (['date', 'datetime', 'timestamp'].includes(current.name) && ['date', 'datetime', 'timestamp'].includes(incoming.name))
    return t('datetime', 6);
  if (current.name === 'time' && incoming.name === 'time') return t('time', 6);
  const la = boundedLength(current);
  const lb = boundedLength(incoming);
  if (a === 'binary' && b === 'binary') {
    return la !== undefined && lb !== undefined && Math.max(la, lb) <= 65_532 ? t('varbinary', Math.max(la, lb)) : t('longblob');
  }
  const logical = widenLogicalType(a, b);
  if (logical === 'string') {
    // Both hold text: the longer bound, or longtext.
    const textual = (_x: MysqlType, l: LogicalType) => l === 'string' || l === 'uuid';
    if (
      textual(current, a) &&
      textual(incoming, b) &&
      la !== undefined &&
      lb !== undefined &&
      current.name !== 'enum' &&
      incoming.name !== 'enum'
    ) {
      return t('varchar', Math.max(la, lb));
    }
    return LONGTEXT;
  }
  return defaultType(logical);
}

/** The column type of a kind when no `sql-datatype` gives one. */
export function defaultType(logical: LogicalType, options: { scale?: number; precision?: number; maxLength?: number } = {}): MysqlType {
  switch (logical) {
    case 'boolean':
      return t('tinyint', 1);
    case 'integer':
      return t('bigint');
    case 'number':
      // JSON numbers may carry many digits: an exact decimal keeps them (up to 35 integer and 30 fraction digits).
      return DECIMAL_WIDEST;
    case 'decimal': {
      if (options.scale === undefined) return DECIMAL_WIDEST;
      const scale = Math.min(options.scale, MAX_SCALE);
      const precision = Math.min(Math.max(options.precision ?? MAX_PRECISION, scale), MAX_PRECISION);
      return t('decimal', `${precision},${scale}`);
    }
    case 'string':
      return options.maxLength !== undefined && options.maxLength > 0 && options.maxLength <= MAX_VARCHAR
        ? t('varchar', options.maxLength)
        : LONGTEXT;
    case 'date':
      return t('date');
    case 'time':
      return t('time', 6);
    case 'timestamp':
    case 'timestamptz':
      // DATETIME, not TIMESTAMP: TIMESTAMP ends in 2038. Values are stored in UTC.
      return t('datetime', 6);
    case 'uuid':
      return t('char', 36);
    case 'binary':
      return t('longblob');
    case 'json':
      return t('json');
  }
}
