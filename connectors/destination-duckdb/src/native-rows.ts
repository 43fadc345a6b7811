import type { NativeRows } from '@mage-int/core';
import { ansiQuoteLiteral, quoteIdentifier as q } from '@mage-int/core/sql';
import { sqlType, type DuckKind, type DuckType } from './type-map.js';

/**
 * PostgreSQL COPY text (native rows a PostgreSQL source sends beside its records) loaded by DuckDB's own CSV
 * reader: the batch's bytes go to a file unchanged and DuckDB parses them on its threads, so no record is read
 * or encoded in JavaScript. Only pairs of a PostgreSQL type and a DuckDB column type whose text DuckDB reads
 * back to exactly the value the record path would store are allowed; anything else loads through the records.
 */

/** How one staged column is filled from native rows. */
export type NativeSource =
  /** The native column at `index`. */
  | { kind: 'native'; index: number }
  /** The same SQL expression for every row of the batch (metadata values, NULL for fields the rows lack). */
  | { kind: 'constant'; sql: string };

export interface NativePlan {
  /** `columns={…}` of read_csv: every native column, typed where DuckDB's reader parses it exactly. */
  readColumns: string;
  /** One SELECT expression per staged column, in staging order. */
  expressions: string[];
  /** Some native column holds dates or timestamps: a batch containing ` BC` takes the record path. */
  hasDates: boolean;
}

/** A PostgreSQL type (format_type spelling) as far as loading its text is concerned. */
interface PgText {
  /** The DuckDB column kinds its text loads into exactly. */
  into: readonly DuckKind[];
  /** Text that needs COPY's backslash escapes undone (any character may occur). */
  escaped?: boolean;
  /** bytea: `\x` and hex digits. */
  hex?: boolean;
  date?: boolean;
  /** numeric(p,s): integer digits and scale, which the DECIMAL column must both hold. */
  decimal?: { integerDigits: number; scale: number };
}

const INTEGER: PgText = { into: ['BIGINT', 'HUGEINT'] };
const TEXT: PgText = { into: ['VARCHAR'], escaped: true };

/** The PostgreSQL types whose text output (DateStyle=ISO, as source-postgres sets it) DuckDB reads exactly. */
function pgText(type: string): PgText | undefined {
  const t = type.trim().toLowerCase();
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(t.replace(/\s+/g, ''));
  if (numeric) return { into: ['DECIMAL'], decimal: { integerDigits: Number(numeric[1]) - Number(numeric[2]), scale: Number(numeric[2]) } };
  if (/^(character varying|varchar|character|char|bpchar)(\(\d+\))?$/.test(t)) return TEXT;
  switch (t) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return INTEGER;
    case 'numeric':
      // Unbounded: the column holds the exact digits as text (NaN too).
      return { into: ['VARCHAR'] };
    case 'double precision':
    case 'real':
      return { into: ['DOUBLE'] };
    case 'boolean':
      return { into: ['BOOLEAN'] };
    case 'text':
    case 'name':
      return TEXT;
    case 'json':
    case 'jsonb':
      return { into: ['JSON'], escaped: true };
    case 'uuid':
      return { into: ['UUID'] };
    case 'bytea':
      return { into: ['BLOB'], hex: true };
    case 'date':
      return { into: ['DATE'], date: true };
    case 'timestamp without time zone':
      return { into: ['TIMESTAMP'], date: true };
    case 'timestamp with time zone':
      return { into: ['TIMESTAMPTZ'], date: true };
    case 'time without time zone':
      return { into: ['TIME'] };
    case 'time with time zone':
      return { into: ['TIMETZ'] };
    default:
      return undefined;
  }
}

/** True when `text`'s values fit the column without rounding or a changed type. */
function loadsInto(text: PgText, column: DuckType): boolean {
  if (!text.into.includes(column.kind)) return false;
  if (!text.decimal) return true;
  const scale = column.scale ?? 0;
  return scale >= text.decimal.scale && (column.precision ?? 0) - scale >= text.decimal.integerDigits;
}

/**
 * Undoes COPY text's backslash escapes (`\\`, `\n`, `\t`, `\r`, `\b`, `\f`, `\v`; COPY TO writes no others) in
 * SQL. Text without a backslash passes as it is, text with only `\\` takes one replace; PostgreSQL text never
 * holds NUL, so it stands in for an escaped backslash while the others are undone.
 */
function unescaped(column: string): string {
  const c = q(column);
  const all = [
    ['\\n', 'chr(10)'],
    ['\\t', 'chr(9)'],
    ['\\r', 'chr(13)'],
    ['\\b', 'chr(8)'],
    ['\\f', 'chr(12)'],
    ['\\v', 'chr(11)'],
  ].reduce((sql, [sequence, char]) => `replace(${sql}, '${sequence}', ${char})`, `replace(${c}, '\\\\', chr(0))`);
  return `CASE WHEN NOT contains(${c}, '\\') THEN ${c} WHEN NOT regexp_matches(${c}, '\\\\[bfnrtv]') THEN replace(${c}, '\\\\', '\\') ELSE replace(${all}, chr(0), '\\') END`;
}

/** The read_csv column name of native column `i` (the staging columns keep their own names). */
const nativeColumn = (i: number) => `c${i}`;

/**
 * How native rows fill the staging columns, or undefined when they cannot: a staged field the rows hold must
 * come with a PostgreSQL type whose text loads exactly into the column's current type.
 */
export function nativePlan(
  native: NativeRows,
  staged: readonly { field: string; type: DuckType; constant?: string }[],
): NativePlan | undefined {
  if (native.format !== 'postgresql-copy-text' || native.fields.length === 0 || native.fields.length !== native.types.length)
    return undefined;
  const index = new Map(native.fields.map((field, i) => [field, i]));
  const readTypes = native.fields.map(() => 'VARCHAR');
  const expressions: string[] = [];
  let hasDates = false;
  for (const column of staged) {
    const i = index.get(column.field);
    if (i === undefined) {
      // A field the rows lack is NULL, as in a record without it; metadata columns are the batch's values.
      expressions.push(column.constant ?? `NULL::${sqlType(column.type)}`);
      continue;
    }
    if (column.constant !== undefined) return undefined;
    const text = pgText(native.types[i] as string);
    if (!text || !loadsInto(text, column.type)) return undefined;
    hasDates ||= text.date === true;
    if (text.escaped) expressions.push(`CAST(${unescaped(nativeColumn(i))} AS ${sqlType(column.type)})`);
    // bytea's `\x…` arrives as `\\x…` (its backslash escaped).
    else if (text.hex) expressions.push(`unhex(substr(${q(nativeColumn(i))}, 4))`);
    else {
      // DuckDB's CSV reader parses the rest itself, in parallel.
      readTypes[i] = sqlType(column.type);
      expressions.push(q(nativeColumn(i)));
    }
  }
  const readColumns = `{${readTypes.map((type, i) => `'${nativeColumn(i)}': '${type}'`).join(', ')}}`;
  return { readColumns, expressions, hasDates };
}

/** The SELECT reading a file of COPY text with `plan`, followed by `extra` expressions. */
export function nativeSelect(plan: NativePlan, file: string, extra: readonly string[]): string {
  const reader = `read_csv(${ansiQuoteLiteral(file)}, delim = '\\t', quote = '', escape = '', nullstr = '\\N', header = false, auto_detect = false, columns = ${plan.readColumns})`;
  return `SELECT ${[...plan.expressions, ...extra].join(', ')} FROM ${reader}`;
}

/** Dates and timestamps before year 1 print with ` BC`, which DuckDB's reader would misread: such batches take the record path. */
export function hasEraSuffix(data: Buffer): boolean {
  return data.includes(' BC');
}
