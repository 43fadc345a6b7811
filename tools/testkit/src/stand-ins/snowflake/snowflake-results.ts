// How the Snowflake stand-in answers queries that return rows, and the catalog views it keeps, written from
// Snowflake's documentation (not from any connector):
// - Result types and values (SQL API reference, "Handling responses" / ResultSet, and the same JSON result format
//   the drivers read): `rowtype` names each column's type (`fixed` with precision and scale, `real`, `text`,
//   `boolean`, `date`, `time`, `timestamp_ntz`, `timestamp_ltz`, `timestamp_tz`, `variant`, `binary`) and every value is
//   a string: fixed and real as their decimal text, DATE as the number of days since the epoch, TIME as seconds since
//   midnight with 9 decimals, TIMESTAMP_NTZ/LTZ as seconds since the epoch with 9 decimals, TIMESTAMP_TZ the same
//   followed by a space and the offset in minutes plus 1440, BINARY as hex, VARIANT as its JSON text.
// - Result partitions ("Retrieving additional partitions"; the drivers' result chunks): a large result comes as a first
//   part inline (`rowset`) and further parts listed in `chunks` (`url`, `rowCount`, `uncompressedSize`,
//   `compressedSize`), each downloaded from its URL — on Snowflake a presigned cloud-storage URL, encrypted with a
//   per-query key sent as the SSE-C header `x-amz-server-side-encryption-customer-key` (`qrmk`), the body gzip JSON
//   rows separated by commas without the enclosing brackets. Here the URLs point at the stand-in itself.
// - INFORMATION_SCHEMA.SCHEMATA/TABLES/COLUMNS (Snowflake's column names and DATA_TYPE values: NUMBER, FLOAT, TEXT,
//   BOOLEAN, DATE, TIME, TIMESTAMP_NTZ/LTZ/TZ, VARIANT, OBJECT, ARRAY, BINARY) and SHOW PRIMARY KEYS (declared keys,
//   which Snowflake records but does not enforce).
import type { DuckEngine } from '../duckdb-engine.js';
import { isPunct, matchingParen, splitTopLevel } from '../sql-tokens.js';
import { duckIdent, duckString, SnowflakeSqlError, type SfToken } from './snowflake-sql.js';

/** A column of a result as the `rowtype` describes it. */
export interface RowType {
  name: string;
  type: string;
  nullable: boolean;
  precision: number | null;
  scale: number | null;
  length: number | null;
  byteLength: number | null;
}

/** The result type of a DuckDB column type, and the DuckDB expression giving its value as Snowflake sends it. */
export function wireColumn(name: string, duckType: string, ref: string): { rowtype: RowType; sql: string } {
  const t = duckType.toUpperCase();
  const row = (type: string, extra: Partial<RowType> = {}): RowType => ({
    name,
    type,
    nullable: true,
    precision: null,
    scale: null,
    length: null,
    byteLength: null,
    ...extra,
  });
  const micros = (us: string) =>
    `(CASE WHEN ${us} < 0 THEN '-' ELSE '' END) || printf('%d.%06d000', abs(${us}) // 1000000, abs(${us}) % 1000000)`;
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal)
    return { rowtype: row('fixed', { precision: Number(decimal[1]), scale: Number(decimal[2]) }), sql: `CAST(${ref} AS VARCHAR)` };
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?)$/.test(t))
    return { rowtype: row('fixed', { precision: 38, scale: 0 }), sql: `CAST(${ref} AS VARCHAR)` };
  if (t === 'DOUBLE' || t === 'FLOAT') return { rowtype: row('real'), sql: `CAST(${ref} AS VARCHAR)` };
  if (t === 'BOOLEAN') return { rowtype: row('boolean'), sql: `CASE WHEN ${ref} THEN 'true' WHEN NOT ${ref} THEN 'false' END` };
  if (t === 'DATE') return { rowtype: row('date'), sql: `CAST(date_diff('day', DATE '1970-01-01', ${ref}) AS VARCHAR)` };
  if (t === 'TIME') return { rowtype: row('time', { scale: 9 }), sql: micros(`date_diff('microsecond', TIME '00:00:00', ${ref})`) };
  if (t === 'TIMESTAMP') return { rowtype: row('timestamp_ntz', { scale: 9 }), sql: micros(`epoch_us(${ref})`) };
  if (t === 'TIMESTAMP WITH TIME ZONE')
    // DuckDB keeps no offset per value: every TIMESTAMP_TZ value is sent at UTC (offset 0 + 1440).
    return { rowtype: row('timestamp_tz', { scale: 9 }), sql: `${micros(`epoch_us(${ref})`)} || ' 1440'` };
  if (t === 'JSON') return { rowtype: row('variant'), sql: `CAST(${ref} AS VARCHAR)` };
  if (t === 'BLOB') return { rowtype: row('binary', { length: 8388608, byteLength: 8388608 }), sql: `upper(hex(${ref}))` };
  return { rowtype: row('text', { length: 16777216, byteLength: 16777216 }), sql: `CAST(${ref} AS VARCHAR)` };
}

/** What CREATE TABLE declared: each column's Snowflake type as written, and the PRIMARY KEY columns. */
export interface DeclaredTable {
  columns: Map<string, string>;
  keys: string[];
}

const name = (t: SfToken | undefined) => (t?.kind === 'ident' ? t.name : t?.kind === 'word' ? t.text.toUpperCase() : undefined);
const CONSTRAINT_WORDS = new Set([
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'COMMENT',
  'COLLATE',
  'AUTOINCREMENT',
  'IDENTITY',
  'CONSTRAINT',
  'REFERENCES',
  'FOREIGN',
]);

/** The table (schema, name) and declared columns of `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] name (…)`. */
export function declaredTable(
  tokens: SfToken[],
  defaultSchema: string,
): { schema: string; table: string; declared: DeclaredTable } | undefined {
  const solid = tokens.filter((t) => t.kind !== 'space');
  const tableAt = solid.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === 'TABLE');
  if (tableAt < 0) return undefined;
  let i = tableAt + 1;
  if (name(solid[i]) === 'IF') i += 3;
  const names: string[] = [];
  for (; i < solid.length && !isPunct(solid[i], '('); i++) {
    const n = name(solid[i]);
    if (n !== undefined) names.push(n);
    else if (!isPunct(solid[i], '.')) return undefined;
  }
  if (i >= solid.length || names.length === 0) return undefined;
  const close = matchingParen(solid, i, () => new SnowflakeSqlError('001003', '42000', "SQL compilation error: syntax error: missing ')'"));
  const declared: DeclaredTable = { columns: new Map(), keys: [] };
  for (const definition of splitTopLevel(solid.slice(i + 1, close))) {
    const parts = definition;
    const first = name(parts[0]);
    if (first === undefined) continue;
    if (parts[0]?.kind === 'word' && ['PRIMARY', 'CONSTRAINT', 'UNIQUE', 'FOREIGN'].includes(first)) {
      const pk = parts.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === 'PRIMARY');
      if (pk >= 0) {
        const open = parts.findIndex((t, j) => j > pk && isPunct(t, '('));
        for (let j = open + 1; j < parts.length && !isPunct(parts[j], ')'); j++) {
          const key = name(parts[j]);
          if (key !== undefined) declared.keys.push(key);
        }
      }
      continue;
    }
    let end = 1;
    let depth = 0;
    for (; end < parts.length; end++) {
      const t = parts[end] as SfToken;
      if (isPunct(t, '(')) depth++;
      else if (isPunct(t, ')')) depth--;
      else if (depth === 0 && t.kind === 'word' && CONSTRAINT_WORDS.has(t.text.toUpperCase())) break;
    }
    const type = parts
      .slice(1, end)
      .map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.kind === 'number' || t.kind === 'punct' ? t.text : ''))
      .join('');
    declared.columns.set(first, type);
    if (parts.slice(end).some((t, j, rest) => name(t) === 'PRIMARY' && name(rest[j + 1]) === 'KEY')) declared.keys.push(first);
  }
  const [schema, table] =
    names.length === 1 ? [defaultSchema, names[0] as string] : [names[names.length - 2] as string, names[names.length - 1] as string];
  return { schema, table, declared };
}

/** INFORMATION_SCHEMA's DATA_TYPE (and precision/scale/length) of a declared Snowflake type or of DuckDB's type. */
function infoType(
  declared: string | undefined,
  duckType: string,
): { type: string; precision?: number; scale?: number; length?: number; datetime?: number } {
  const text = (declared ?? '').toUpperCase();
  const args = /\((\d+)(?:,(\d+))?\)/.exec(text);
  const base = text.replace(/\(.*$/, '');
  const synonyms: Record<string, string> = {
    NUMBER: 'NUMBER',
    DECIMAL: 'NUMBER',
    NUMERIC: 'NUMBER',
    INT: 'NUMBER',
    INTEGER: 'NUMBER',
    BIGINT: 'NUMBER',
    SMALLINT: 'NUMBER',
    FLOAT: 'FLOAT',
    DOUBLE: 'FLOAT',
    REAL: 'FLOAT',
    VARCHAR: 'TEXT',
    STRING: 'TEXT',
    TEXT: 'TEXT',
    CHAR: 'TEXT',
    BOOLEAN: 'BOOLEAN',
    DATE: 'DATE',
    TIME: 'TIME',
    TIMESTAMP_NTZ: 'TIMESTAMP_NTZ',
    DATETIME: 'TIMESTAMP_NTZ',
    TIMESTAMP_LTZ: 'TIMESTAMP_LTZ',
    TIMESTAMP_TZ: 'TIMESTAMP_TZ',
    VARIANT: 'VARIANT',
    OBJECT: 'OBJECT',
    ARRAY: 'ARRAY',
    BINARY: 'BINARY',
    VARBINARY: 'BINARY',
  };
  let type = synonyms[base];
  if (type === undefined) {
    const d = duckType.toUpperCase();
    type =
      d.startsWith('DECIMAL') || /INT/.test(d)
        ? 'NUMBER'
        : d === 'DOUBLE'
          ? 'FLOAT'
          : d === 'BOOLEAN'
            ? 'BOOLEAN'
            : d === 'DATE'
              ? 'DATE'
              : d === 'TIME'
                ? 'TIME'
                : d === 'TIMESTAMP'
                  ? 'TIMESTAMP_NTZ'
                  : d === 'TIMESTAMP WITH TIME ZONE'
                    ? 'TIMESTAMP_TZ'
                    : d === 'JSON'
                      ? 'VARIANT'
                      : d === 'BLOB'
                        ? 'BINARY'
                        : 'TEXT';
    const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(d);
    if (decimal) return { type, precision: Number(decimal[1]), scale: Number(decimal[2]) };
    if (type === 'NUMBER') return { type, precision: 38, scale: 0 };
  }
  if (type === 'NUMBER') {
    if (['INT', 'INTEGER', 'BIGINT', 'SMALLINT'].includes(base)) return { type, precision: 38, scale: 0 };
    return { type, precision: args ? Number(args[1]) : 38, scale: args?.[2] ? Number(args[2]) : 0 };
  }
  if (type === 'TEXT') return { type, length: args ? Number(args[1]) : 16777216 };
  if (type === 'BINARY') return { type, length: args ? Number(args[1]) : 8388608 };
  if (type.startsWith('TIME')) return { type, datetime: args ? Number(args[1]) : 9 };
  return { type };
}

/** The schema the stand-in keeps Snowflake's INFORMATION_SCHEMA views in (refreshed before a statement reads them). */
export const INFO_SCHEMA = '_SF_INFORMATION_SCHEMA';
const VIEWS = new Set(['SCHEMATA', 'TABLES', 'COLUMNS']);

/** `INFORMATION_SCHEMA.X` (optionally after the database) as the stand-in's table; true when the statement names one. */
export function redirectInformationSchema(tokens: SfToken[]): boolean {
  let found = false;
  for (let i = 0; i < tokens.length; i++) {
    if (name(tokens[i]) !== 'INFORMATION_SCHEMA' || !isPunct(tokens[i + 1], '.')) continue;
    const view = name(tokens[i + 2]);
    if (view === undefined || !VIEWS.has(view)) continue;
    tokens[i] = { kind: 'ident', name: INFO_SCHEMA };
    tokens[i + 2] = { kind: 'ident', name: view };
    found = true;
  }
  return found;
}

/** Rebuilds the INFORMATION_SCHEMA tables from DuckDB's catalog and the declared types. */
export async function refreshInformationSchema(engine: DuckEngine, database: string, declared: Map<string, DeclaredTable>): Promise<void> {
  const hidden = `(${[INFO_SCHEMA, 'main', 'information_schema', 'pg_catalog'].map(duckString).join(', ')})`;
  const db = duckString(database);
  await engine.run(`CREATE SCHEMA IF NOT EXISTS ${duckIdent(INFO_SCHEMA)}`);
  await engine.run(
    `CREATE OR REPLACE TABLE ${duckIdent(INFO_SCHEMA)}."SCHEMATA" AS SELECT ${db} AS "CATALOG_NAME", schema_name AS "SCHEMA_NAME" FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name NOT IN ${hidden}`,
  );
  await engine.run(
    `CREATE OR REPLACE TABLE ${duckIdent(INFO_SCHEMA)}."TABLES" AS SELECT ${db} AS "TABLE_CATALOG", schema_name AS "TABLE_SCHEMA", table_name AS "TABLE_NAME", 'BASE TABLE' AS "TABLE_TYPE", CAST(estimated_size AS BIGINT) AS "ROW_COUNT" FROM duckdb_tables() WHERE database_name = current_database() AND schema_name NOT IN ${hidden} UNION ALL SELECT ${db}, schema_name, view_name, 'VIEW', NULL FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND schema_name NOT IN ${hidden}`,
  );
  const columns = await engine.read(
    `SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema NOT IN ${hidden} ORDER BY 1, 2, 4`,
  );
  const num = (n: number | undefined) => (n === undefined ? 'NULL' : String(n));
  const values = columns.rows.map((r) => {
    const schema = String(r['table_schema']);
    const table = String(r['table_name']);
    const column = String(r['column_name']);
    const info = infoType(declared.get(`${schema}.${table}`)?.columns.get(column), String(r['data_type']));
    return `(${db}, ${duckString(schema)}, ${duckString(table)}, ${duckString(column)}, ${Number(r['ordinal_position'])}, ${duckString(info.type)}, ${num(info.precision)}, ${num(info.scale)}, ${num(info.length)}, ${num(info.datetime)}, ${duckString(r['is_nullable'] === 'NO' ? 'NO' : 'YES')})`;
  });
  await engine.run(
    `CREATE OR REPLACE TABLE ${duckIdent(INFO_SCHEMA)}."COLUMNS" ("TABLE_CATALOG" VARCHAR, "TABLE_SCHEMA" VARCHAR, "TABLE_NAME" VARCHAR, "COLUMN_NAME" VARCHAR, "ORDINAL_POSITION" INTEGER, "DATA_TYPE" VARCHAR, "NUMERIC_PRECISION" INTEGER, "NUMERIC_SCALE" INTEGER, "CHARACTER_MAXIMUM_LENGTH" INTEGER, "DATETIME_PRECISION" INTEGER, "IS_NULLABLE" VARCHAR)`,
  );
  for (let i = 0; i < values.length; i += 500)
    await engine.run(`INSERT INTO ${duckIdent(INFO_SCHEMA)}."COLUMNS" VALUES ${values.slice(i, i + 500).join(', ')}`);
}
