import type { JsonSchema } from '@mage-int/core';
import {
  columnType,
  STAGING_DELETED,
  STAGING_SEQUENCE,
  StandardDialect,
  type ColumnDefinition,
  type ColumnTypeOptions,
  type LoadColumn,
  type LogicalType,
  type StandardType,
  type TableRef,
} from '@mage-int/core/sql';

/** Snowflake identifiers: at most 255 characters (docs.snowflake.com/en/sql-reference/identifiers-syntax). */
export const SNOWFLAKE_MAX_IDENTIFIER = 255;

/** NUMBER holds 38 digits in all; the scale of a number whose precision the schema does not give. */
export const SNOWFLAKE_DEFAULT_SCALE = 9;
const MAX_PRECISION = 38;

/** Snowflake's type names per kind (docs.snowflake.com/en/sql-reference/intro-summary-data-types). */
const SNOWFLAKE_TYPES: Record<LogicalType, string> = {
  boolean: 'BOOLEAN',
  integer: 'NUMBER(38,0)',
  number: `NUMBER(38,${SNOWFLAKE_DEFAULT_SCALE})`,
  decimal: `NUMBER(38,${SNOWFLAKE_DEFAULT_SCALE})`,
  string: 'VARCHAR',
  date: 'DATE',
  time: 'TIME(9)',
  timestamp: 'TIMESTAMP_NTZ(9)',
  timestamptz: 'TIMESTAMP_TZ(9)',
  uuid: 'VARCHAR',
  binary: 'BINARY',
  json: 'VARIANT',
};

/**
 * Snowflake SQL on the SQL kit. Names: the kit normalises every stream and field name to lower case; this dialect
 * writes each one upper-cased and double-quoted (`"ORDER_ITEMS"`), which is exactly the name Snowflake resolves an
 * unquoted `order_items` to — so users query the tables without quotes, and a name that is a reserved word or holds
 * other characters still works. Types: NUMBER(38,0) for integers, NUMBER(38,s) for decimals (s from the schema,
 * else 9), TIMESTAMP_TZ(9)/TIMESTAMP_NTZ(9), VARIANT for objects and arrays (loaded through PARSE_JSON), BINARY.
 * Keys are declared (Snowflake enforces no PRIMARY KEY), so every keyed conflict rule is a `MERGE`. With `quoting:
 * 'as-is'` (Mage's `disable_double_quotes: false`) names are double-quoted as the kit names them instead (lower case
 * unless `lowercase` is false), so they are case-sensitive: `select "id" from "orders"`.
 */
export class SnowflakeDialect extends StandardDialect {
  /** Tells the staging tables of concurrent runs apart. */
  private readonly runToken: string;
  private readonly quoting: 'upper' | 'as-is';

  /** The run's token (staging tables and a temporary external stage carry it). */
  get runId(): string {
    return this.runToken;
  }

  constructor(runToken = Math.random().toString(36).slice(2, 10), names: { quoting?: 'upper' | 'as-is'; lowercase?: boolean } = {}) {
    const quoting = names.quoting ?? 'upper';
    super({
      name: 'snowflake',
      identifiers: {
        maxBytes: SNOWFLAKE_MAX_IDENTIFIER,
        lengthUnit: 'characters',
        lowercase: names.lowercase ?? true,
        // Upper-cased names collide ignoring case; names quoted as they are do not.
        caseInsensitive: quoting === 'upper',
      },
      capabilities: { transactionalDdl: false, enforcesUniqueKeys: false, merge: 'merge' },
      types: SNOWFLAKE_TYPES,
      aliases: {
        number: 'decimal',
        decimal: 'decimal',
        numeric: 'decimal',
        int: 'integer',
        integer: 'integer',
        bigint: 'integer',
        float: 'number',
        double: 'number',
        real: 'number',
        text: 'string',
        varchar: 'string',
        string: 'string',
        char: 'string',
        boolean: 'boolean',
        date: 'date',
        time: 'time',
        timestamp_ntz: 'timestamp',
        datetime: 'timestamp',
        timestamp_tz: 'timestamptz',
        timestamp_ltz: 'timestamptz',
        variant: 'json',
        object: 'json',
        array: 'json',
        binary: 'binary',
        varbinary: 'binary',
      },
    });
    this.runToken = runToken;
    this.quoting = quoting;
  }

  /** `"NAME"`: upper-cased (Snowflake's reading of the unquoted name), or as it is with `as-is`; embedded double quotes doubled. */
  override quoteIdentifier(name: string): string {
    return `"${this.catalogForm(name).replace(/"/g, '""')}"`;
  }

  /** A name as Snowflake's catalog holds it (upper-cased, or as it is). */
  catalogForm(name: string): string {
    return this.quoting === 'upper' ? upperIdentifier(name) : name;
  }

  /** A name from Snowflake's catalog (DESCRIBE TABLE) as the kit names it. */
  kitName(name: string): string {
    return this.quoting === 'upper' ? name.toLowerCase() : name;
  }

  /**
   * A single-quoted string constant: Snowflake reads backslash escapes in them (`\\`, `\'`, `\n` …), so the
   * backslash is doubled as well as the quote.
   */
  override quoteLiteral(text: string): string {
    if (text.includes('\0')) throw new Error('a SQL literal cannot hold a NUL character');
    return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  }

  override columnType(field: JsonSchema, options: ColumnTypeOptions): StandardType {
    const column = columnType(field, options);
    if (column.logical === 'decimal' || column.logical === 'number')
      return this.decimalType(column.precision, column.scale, column.sqlType);
    return this.typeOf(column.logical);
  }

  /** NUMBER(38,s): the declared scale (of `sql-datatype` or `multipleOf`), capped at 37, else 9. */
  private decimalType(_precision: number | undefined, scale: number | undefined, sqlType: string | undefined): StandardType {
    const declared = /^\s*(?:numeric|decimal|number)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(sqlType ?? '');
    const s = declared ? Number(declared[2] ?? 0) : scale;
    const chosen = s === undefined ? SNOWFLAKE_DEFAULT_SCALE : Math.min(s, MAX_PRECISION - 1);
    return { logical: 'decimal', sql: `NUMBER(${MAX_PRECISION},${chosen})` };
  }

  /** A column as INFORMATION_SCHEMA.COLUMNS (or DESCRIBE TABLE) reports it: `NUMBER(38,0)`, `TIMESTAMP_TZ(9)`, `VARIANT` … */
  catalogType(dataType: string, scale?: number | null): StandardType {
    const upper = dataType.toUpperCase().trim();
    const bare = upper.replace(/\(.*\)$/, '');
    if (bare === 'NUMBER' || bare === 'DECIMAL' || bare === 'NUMERIC') {
      const s = scale ?? Number(/,\s*(\d+)\s*\)/.exec(upper)?.[1] ?? 0);
      return s === 0 ? { logical: 'integer', sql: 'NUMBER(38,0)' } : { logical: 'decimal', sql: `NUMBER(38,${s})` };
    }
    if (bare === 'TEXT') return { logical: 'string', sql: 'VARCHAR' };
    return this.parseType(upper);
  }

  override sameType(a: StandardType, b: StandardType): boolean {
    return a.logical === b.logical && (a.logical !== 'decimal' || a.sql === b.sql);
  }

  override widen(current: StandardType, incoming: StandardType): StandardType {
    // A FLOAT column (made elsewhere) keeps numbers; a wider scale wins between decimals.
    if (current.logical === 'number' && (incoming.logical === 'decimal' || incoming.logical === 'integer')) return current;
    if (current.logical === 'decimal' && incoming.logical === 'integer') return current;
    if (current.logical === 'decimal' && incoming.logical === 'decimal') return scaleOf(incoming) > scaleOf(current) ? incoming : current;
    if (current.logical === 'integer' && incoming.logical === 'decimal') return incoming;
    return super.widen(current, incoming);
  }

  /** A database per config: schemas are made in it (the connection runs in that database). */
  override createSchema(schema: string): string[] {
    return [`CREATE SCHEMA IF NOT EXISTS ${this.quoteIdentifier(schema)}`];
  }

  /** `CREATE TABLE IF NOT EXISTS` with NOT NULL keys and a declared (not enforced) PRIMARY KEY. */
  override createTable(table: TableRef, columns: readonly ColumnDefinition<StandardType>[], keys: readonly string[]): string[] {
    const definitions = columns.map((c) => `${this.quoteIdentifier(c.name)} ${c.type.sql}${keys.includes(c.name) ? ' NOT NULL' : ''}`);
    if (keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map((k) => this.quoteIdentifier(k)).join(', ')})`);
    return [`CREATE TABLE IF NOT EXISTS ${this.qualify(table)} (\n  ${definitions.join(',\n  ')}\n)`];
  }

  override addColumn(table: TableRef, column: ColumnDefinition<StandardType>): string[] {
    return [`ALTER TABLE ${this.qualify(table)} ADD COLUMN IF NOT EXISTS ${this.quoteIdentifier(column.name)} ${column.type.sql}`];
  }

  /**
   * Snowflake changes a column's type in place only to widen a VARCHAR or raise a NUMBER's precision, never its
   * scale: every widening here copies the column (add, UPDATE, drop, rename). VARIANT takes any value as it is
   * (`TO_VARIANT`), and leaves a VARIANT as JSON text (`TO_JSON`).
   */
  override alterColumnType(table: TableRef, column: string, from: StandardType, to: StandardType): string[] {
    const target = this.qualify(table);
    const old = this.quoteIdentifier(column);
    const next = this.quoteIdentifier(`${column}__mage_widened`);
    const value = to.logical === 'json' ? `TO_VARIANT(${old})` : from.logical === 'json' ? `TO_JSON(${old})` : `CAST(${old} AS ${to.sql})`;
    return [
      `ALTER TABLE ${target} ADD COLUMN ${next} ${to.sql}`,
      `UPDATE ${target} SET ${next} = ${value}`,
      `ALTER TABLE ${target} DROP COLUMN ${old}`,
      `ALTER TABLE ${target} RENAME COLUMN ${next} TO ${old}`,
    ];
  }

  override stagingTable(target: TableRef, id: number): TableRef {
    return { schema: target.schema, name: `_mage_stage_${this.runToken}_${id}` };
  }

  /**
   * A temporary table (gone with the session, should a run die) with the staged columns as the target has them,
   * plus the load order and the delete flag; its table stage takes the load file.
   */
  override createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[] {
    const list = columns.map((c) => this.quoteIdentifier(c)).join(', ');
    return [
      `CREATE OR REPLACE TEMPORARY TABLE ${this.qualify(staging)} AS SELECT ${list}, CAST(NULL AS NUMBER(38,0)) AS ${this.quoteIdentifier(STAGING_SEQUENCE)}, CAST(NULL AS BOOLEAN) AS ${this.quoteIdentifier(STAGING_DELETED)} FROM ${this.qualify(like)} WHERE 1 = 0`,
    ];
  }

  /** The table stage of a table: `@"SCHEMA".%"TABLE"`. */
  tableStage(table: TableRef): string {
    return `@${this.quoteIdentifier(table.schema)}.%${this.quoteIdentifier(table.name)}`;
  }

  /**
   * `PUT` of a local gzip file to a stage (docs.snowflake.com/en/sql-reference/sql/put): already compressed, so
   * AUTO_COMPRESS off and SOURCE_COMPRESSION named; OVERWRITE so a retried PUT replaces its file.
   */
  put(localPath: string, stage: string): string {
    return `PUT 'file://${localPath.replace(/\\/g, '/').replace(/'/g, "\\'")}' ${stage} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`;
  }

  /**
   * `COPY INTO` the staging table from one staged file (docs.snowflake.com/en/sql-reference/sql/copy-into-table),
   * with a transformation: `$n` per column, VARIANT through PARSE_JSON. The CSV: strings optionally enclosed in
   * `"` (an empty unquoted field is NULL, `""` the empty string), no NULL_IF markers and no backslash escapes
   * (the file is written with RFC 4180 quoting only), bytes as hex. PURGE removes the file once loaded (not for an
   * external stage: the destination deletes its S3 objects itself, so Snowflake needs no delete permission).
   */
  copyInto(
    staging: TableRef,
    columns: readonly LoadColumn<StandardType>[],
    stage: string,
    file: string,
    options: { purge?: boolean } = {},
  ): string {
    const names = columns.map((c) => this.quoteIdentifier(c.name)).join(', ');
    const values = columns.map((c, i) =>
      c.type !== 'sequence' && c.type !== 'deleted' && c.type.logical === 'json' ? `PARSE_JSON($${i + 1})` : `$${i + 1}`,
    );
    return [
      `COPY INTO ${this.qualify(staging)} (${names})`,
      `FROM (SELECT ${values.join(', ')} FROM ${stage})`,
      `FILES = (${this.quoteLiteral(file)})`,
      "FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE = NONE ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = () COMPRESSION = GZIP BINARY_FORMAT = HEX ENCODING = 'UTF8')",
      'ON_ERROR = ABORT_STATEMENT',
      ...(options.purge === false ? [] : ['PURGE = TRUE']),
    ].join('\n');
  }
}

/**
 * A name in upper case, character by character, where the upper case reads back as the same lower case (`ß` would
 * become `SS`, which lower-cases to `ss`: such characters stay as they are), so the catalog's names lower-cased are
 * the kit's names again.
 */
export function upperIdentifier(name: string): string {
  let out = '';
  for (const c of name) {
    const upper = c.toUpperCase();
    out += [...upper].length === 1 && upper.toLowerCase() === c ? upper : c;
  }
  return out;
}

function scaleOf(type: StandardType): number {
  return Number(/,\s*(\d+)\s*\)/.exec(type.sql)?.[1] ?? 0);
}
