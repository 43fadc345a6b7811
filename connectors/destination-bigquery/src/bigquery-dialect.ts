import { quoteIdentifier, quoteLiteral } from '@mage-int/bigquery';
import type { JsonSchema } from '@mage-int/core';
import {
  columnType,
  STAGING_DELETED,
  STAGING_SEQUENCE,
  StandardDialect,
  standardActivateVersion,
  standardMerge,
  type ColumnDefinition,
  type ColumnTypeOptions,
  type LogicalType,
  type MergePlan,
  type StandardType,
  type TableRef,
} from '@mage-int/core/sql';

/** BigQuery column names: at most 300 characters, compared case-insensitively (cloud.google.com/bigquery/docs/schemas#column_names). */
export const BIGQUERY_MAX_COLUMN_NAME = 300;

/** The largest NUMERIC: 29 digits before the point and 9 after; anything wider is BIGNUMERIC (38 after, 76 in all). */
const NUMERIC_INTEGER_DIGITS = 29;
const NUMERIC_SCALE = 9;

/** BigQuery's GoogleSQL type names per kind (cloud.google.com/bigquery/docs/reference/standard-sql/data-types). */
const BIGQUERY_TYPES: Record<LogicalType, string> = {
  boolean: 'BOOL',
  integer: 'INT64',
  // A JSON number may carry more digits than FLOAT64 or NUMERIC hold; BIGNUMERIC keeps 38 after the point.
  number: 'BIGNUMERIC',
  decimal: 'BIGNUMERIC',
  string: 'STRING',
  date: 'DATE',
  time: 'TIME',
  timestamp: 'DATETIME',
  timestamptz: 'TIMESTAMP',
  uuid: 'STRING',
  binary: 'BYTES',
  json: 'JSON',
};

/** Scalar kinds an array of a REPEATED column may hold (no NULL element, no nested array: BigQuery has neither). */
const REPEATABLE = new Set<LogicalType>(['boolean', 'integer', 'number', 'string', 'date', 'time', 'timestamptz', 'timestamp', 'uuid']);

export type PartitionGranularity = 'HOUR' | 'DAY' | 'MONTH' | 'YEAR';

export interface BigQueryTableOptions {
  /** Partition tables by this column when they have it and it is a DATE, DATETIME or TIMESTAMP. */
  partitionBy?: string;
  partitionGranularity?: PartitionGranularity;
  /** Cluster keyed tables on their key columns (the first four): MERGE then reads fewer blocks. */
  clusterByKey?: boolean;
  /** Staging tables expire on their own after this many hours, should a run die before dropping them. */
  stagingExpirationHours?: number;
  /** Fold table and column names to lower case (default true; Mage's lower_case). */
  lowercase?: boolean;
}

/**
 * GoogleSQL for BigQuery on the SQL kit: backtick names, BigQuery's types (NUMERIC or BIGNUMERIC by precision,
 * TIMESTAMP with µs, JSON, REPEATED scalars), keys declared `NOT ENFORCED`, partitioning and clustering, widening
 * by `SET DATA TYPE` where BigQuery coerces in place, and `MERGE` for every keyed conflict rule — BigQuery enforces
 * no unique key, so nothing may rely on a conflict. Staging tables are created by the load job itself (the
 * connection gives it their schema), so `createStaging` has no SQL.
 */
export class BigQueryDialect extends StandardDialect {
  private readonly tableOptions: BigQueryTableOptions;
  /** Tells the staging tables of concurrent runs apart. */
  private readonly runToken: string;

  constructor(options: BigQueryTableOptions = {}, runToken = Math.random().toString(36).slice(2, 10)) {
    super({
      name: 'bigquery',
      identifiers: {
        maxBytes: BIGQUERY_MAX_COLUMN_NAME,
        lengthUnit: 'characters',
        lowercase: options.lowercase ?? true,
        caseInsensitive: true,
      },
      capabilities: { transactionalDdl: false, enforcesUniqueKeys: false, merge: 'merge' },
      types: BIGQUERY_TYPES,
      aliases: {
        bool: 'boolean',
        boolean: 'boolean',
        int64: 'integer',
        integer: 'integer',
        float64: 'number',
        float: 'number',
        numeric: 'decimal',
        bignumeric: 'decimal',
        bytes: 'binary',
        record: 'json',
        struct: 'json',
        geography: 'string',
      },
      now: 'CURRENT_TIMESTAMP()',
    });
    this.tableOptions = options;
    this.runToken = runToken;
  }

  /** `` `name` ``: a quoted identifier (GoogleSQL lexical structure). */
  override quoteIdentifier(name: string): string {
    return quoteIdentifier(name);
  }

  /** A GoogleSQL string literal (backslash escapes). */
  override quoteLiteral(text: string): string {
    return quoteLiteral(text);
  }

  override columnType(field: JsonSchema, options: ColumnTypeOptions): StandardType {
    const column = columnType(field, options);
    if (column.logical === 'decimal') return this.decimalType(column.precision, column.scale, column.sqlType);
    if (column.logical === 'json') return this.repeatedType(field, options) ?? this.typeOf('json');
    return this.typeOf(column.logical);
  }

  /** NUMERIC when the precision is known to fit it (29 digits before the point, 9 after), else BIGNUMERIC. */
  private decimalType(precision: number | undefined, scale: number | undefined, sqlType: string | undefined): StandardType {
    const declared = /^\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(sqlType ?? '');
    const p = declared ? Number(declared[1]) : precision;
    const s = declared ? Number(declared[2] ?? 0) : scale;
    if (p !== undefined && s !== undefined && s <= NUMERIC_SCALE && p - s <= NUMERIC_INTEGER_DIGITS)
      return { logical: 'decimal', sql: 'NUMERIC' };
    return { logical: 'decimal', sql: 'BIGNUMERIC' };
  }

  /**
   * An ARRAY<scalar> (a REPEATED column) for an array the schema says is never null and whose items are one
   * non-null scalar type: BigQuery stores neither a NULL array nor a NULL element, so any other array stays JSON.
   */
  private repeatedType(field: JsonSchema, options: ColumnTypeOptions): StandardType | undefined {
    const types = typeof field.type === 'string' ? [field.type] : Array.isArray(field.type) ? field.type : [];
    if (types.length !== 1 || types[0] !== 'array') return undefined;
    const items = field.items;
    if (!items || typeof items !== 'object' || Array.isArray(items)) return undefined;
    const item = columnType(items as JsonSchema, options);
    if (item.nullable || !REPEATABLE.has(item.logical)) return undefined;
    const element =
      item.logical === 'decimal'
        ? this.decimalType(item.precision, item.scale, item.sqlType).sql
        : (BIGQUERY_TYPES[item.logical] as string);
    return { logical: 'json', sql: `ARRAY<${element}>` };
  }

  /** A BigQuery schema field (`{type, mode}` of tables.get) as a column type. */
  fieldType(type: string, mode?: string): StandardType {
    const base =
      type.toUpperCase() === 'FLOAT'
        ? 'FLOAT64'
        : type.toUpperCase() === 'INTEGER'
          ? 'INT64'
          : type.toUpperCase() === 'BOOLEAN'
            ? 'BOOL'
            : type.toUpperCase();
    if (mode === 'REPEATED') return { logical: 'json', sql: `ARRAY<${base}>` };
    const parsed = this.parseType(base);
    if (base === 'FLOAT64') return { logical: 'number', sql: 'FLOAT64' };
    if (base === 'NUMERIC' || base === 'BIGNUMERIC') return { logical: 'decimal', sql: base };
    if (base === 'DATETIME') return { logical: 'timestamp', sql: base };
    return parsed;
  }

  override sameType(a: StandardType, b: StandardType): boolean {
    return a.logical === b.logical && (a.logical !== 'decimal' || a.sql === b.sql);
  }

  override widen(current: StandardType, incoming: StandardType): StandardType {
    // NUMERIC meets BIGNUMERIC in BIGNUMERIC; a FLOAT64 column (made elsewhere) stays FLOAT64 for numbers.
    if (current.logical === 'decimal' && incoming.logical === 'decimal') return current.sql === 'BIGNUMERIC' ? current : incoming;
    if (current.sql === 'FLOAT64' && (incoming.logical === 'number' || incoming.logical === 'integer')) return current;
    if (current.sql === 'NUMERIC' && incoming.logical === 'number') return { logical: 'decimal', sql: 'BIGNUMERIC' };
    const widened = super.widen(current, incoming);
    // Integers and numbers meet in a decimal: BIGNUMERIC holds both (INT64 → BIGNUMERIC is an in-place coercion).
    if (widened.logical === 'decimal' && widened !== current) return { logical: 'decimal', sql: 'BIGNUMERIC' };
    return widened;
  }

  /** The dataset is made through the API once per run (datasets.insert carries its location): no SQL per table. */
  override createSchema(): string[] {
    return [];
  }

  /**
   * `CREATE TABLE IF NOT EXISTS` with REQUIRED key columns, `PRIMARY KEY (…) NOT ENFORCED` (documentation and join
   * optimisation only: BigQuery enforces nothing), `PARTITION BY` and `CLUSTER BY` per the options.
   */
  override createTable(table: TableRef, columns: readonly ColumnDefinition<StandardType>[], keys: readonly string[]): string[] {
    const definitions = columns.map((c) => `${this.quoteIdentifier(c.name)} ${c.type.sql}${keys.includes(c.name) ? ' NOT NULL' : ''}`);
    if (keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map((k) => this.quoteIdentifier(k)).join(', ')}) NOT ENFORCED`);
    let sql = `CREATE TABLE IF NOT EXISTS ${this.qualify(table)} (\n  ${definitions.join(',\n  ')}\n)`;
    const partition = this.partitionClause(columns);
    if (partition) sql += `\nPARTITION BY ${partition}`;
    const clusterable = keys.filter((k) => {
      const type = columns.find((c) => c.name === k)?.type;
      // BigQuery clusters on scalar, orderable types only: not JSON, ARRAY, BYTES or FLOAT64.
      return type !== undefined && !['json', 'binary'].includes(type.logical) && type.sql !== 'FLOAT64';
    });
    if (this.tableOptions.clusterByKey && clusterable.length > 0)
      sql += `\nCLUSTER BY ${clusterable
        .slice(0, 4)
        .map((k) => this.quoteIdentifier(k))
        .join(', ')}`;
    return [sql];
  }

  private partitionClause(columns: readonly ColumnDefinition<StandardType>[]): string | undefined {
    const name = this.tableOptions.partitionBy;
    const column = name === undefined ? undefined : columns.find((c) => c.name === name);
    if (!column) return undefined;
    const granularity = this.tableOptions.partitionGranularity ?? 'DAY';
    const q = this.quoteIdentifier(column.name);
    switch (column.type.sql) {
      case 'TIMESTAMP':
        return `TIMESTAMP_TRUNC(${q}, ${granularity})`;
      case 'DATETIME':
        return `DATETIME_TRUNC(${q}, ${granularity})`;
      case 'DATE':
        return granularity === 'DAY' || granularity === 'HOUR' ? q : `DATE_TRUNC(${q}, ${granularity})`;
      default:
        return undefined;
    }
  }

  override addColumn(table: TableRef, column: ColumnDefinition<StandardType>): string[] {
    return [`ALTER TABLE ${this.qualify(table)} ADD COLUMN IF NOT EXISTS ${this.quoteIdentifier(column.name)} ${column.type.sql}`];
  }

  /**
   * `SET DATA TYPE` where BigQuery coerces in place (INT64 → NUMERIC/BIGNUMERIC/FLOAT64, NUMERIC → BIGNUMERIC/FLOAT64);
   * any other widening (to STRING or JSON) copies the column through text: add, UPDATE (bytes billed), drop, rename.
   */
  override alterColumnType(table: TableRef, column: string, from: StandardType, to: StandardType): string[] {
    const inPlace: Record<string, readonly string[]> = { INT64: ['NUMERIC', 'BIGNUMERIC', 'FLOAT64'], NUMERIC: ['BIGNUMERIC', 'FLOAT64'] };
    if (inPlace[from.sql]?.includes(to.sql))
      return [`ALTER TABLE ${this.qualify(table)} ALTER COLUMN ${this.quoteIdentifier(column)} SET DATA TYPE ${to.sql}`];
    const target = this.qualify(table);
    const old = this.quoteIdentifier(column);
    const next = this.quoteIdentifier(`${column}__mage_widened`);
    const value =
      to.logical === 'json' ? `TO_JSON(${old})` : from.logical === 'json' ? `TO_JSON_STRING(${old})` : `CAST(${old} AS ${to.sql})`;
    return [
      `ALTER TABLE ${target} ADD COLUMN ${next} ${to.sql}`,
      `UPDATE ${target} SET ${next} = ${value} WHERE TRUE`,
      `ALTER TABLE ${target} DROP COLUMN ${old}`,
      `ALTER TABLE ${target} RENAME COLUMN ${next} TO ${old}`,
    ];
  }

  override stagingTable(target: TableRef, id: number): TableRef {
    return { schema: target.schema, name: `_mage_stage_${this.runToken}_${id}` };
  }

  /** The load job creates the staging table (CREATE_IF_NEEDED with its schema, WRITE_TRUNCATE): no SQL. */
  override createStaging(): string[] {
    return [];
  }

  override dropStaging(staging: TableRef): string[] {
    return [`DROP TABLE IF EXISTS ${this.qualify(staging)}`];
  }

  /** The expiration of staging tables, in hours (they vanish on their own after a crash). */
  get stagingExpirationHours(): number {
    return this.tableOptions.stagingExpirationHours ?? 24;
  }

  /**
   * `MERGE`: the last staged row per key (ROW_NUMBER over the load order) matched on the keys; CDC deletes with
   * hard_delete delete their match. Keyless and append streams are a plain `INSERT … SELECT`.
   */
  override merge(plan: MergePlan): string[] {
    const statements = standardMerge(this, plan);
    if (plan.method !== 'append' && plan.keys.length > 0) return statements;
    // Row order means nothing to a BigQuery table: the append's ORDER BY would only sort for nothing.
    const orderBy = ` ORDER BY ${this.quoteIdentifier(STAGING_SEQUENCE)}`;
    return statements.map((sql) => (sql.endsWith(orderBy) ? sql.slice(0, -orderBy.length) : sql));
  }

  override activateVersion(table: TableRef, version: number, hardDelete: boolean): string[] {
    return standardActivateVersion(this, table, version, hardDelete, 'CURRENT_TIMESTAMP()');
  }

  /** The column names a staging table has beyond the data columns. */
  static readonly stagingColumns = [STAGING_SEQUENCE, STAGING_DELETED] as const;
}
