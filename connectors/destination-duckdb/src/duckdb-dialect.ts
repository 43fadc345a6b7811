import type { JsonSchema } from '@mage-int/core';
import {
  ansiQuoteIdentifier,
  ansiQuoteLiteral,
  columnType,
  standardActivateVersion,
  STAGING_SEQUENCE,
  type ColumnDefinition,
  type ColumnTypeOptions,
  type MergePlan,
  type MetadataColumn,
  type SqlDialect,
  type TableRef,
} from '@mage-int/core/sql';
import { BIGINT, duckTypeFor, sameType, sqlType, TIMESTAMPTZ, widenDuckType, type DuckType } from './type-map.js';

/** DuckDB names have no practical length limit; long names are still cut (with a hash) to stay readable. */
export const DUCKDB_MAX_IDENTIFIER_BYTES = 255;

const DELETED_AT = '_sdc_deleted_at';
const BATCHED_AT = '_sdc_batched_at';

/**
 * The DuckDB dialect of the SQL kit. Tables get no PRIMARY KEY (DuckDB cannot change the type of a column an
 * index covers, and widening is how schemas evolve); merges match on the key columns with `MERGE INTO`.
 * Deletes are the rows whose `_sdc_deleted_at` is set: with `hardDelete` they remove their key, otherwise they
 * mark it and keep the values the delete does not carry. `_sdc_batched_at` is the commit's `now()`, never staged.
 */
export class DuckDBDialect implements SqlDialect<DuckType> {
  readonly name = 'duckdb';
  readonly capabilities = { transactionalDdl: true, enforcesUniqueKeys: true, merge: 'merge' } as const;
  readonly identifiers;

  constructor(options: { lowercase?: boolean } = {}) {
    this.identifiers = { maxBytes: DUCKDB_MAX_IDENTIFIER_BYTES, lowercase: options.lowercase ?? true };
  }

  quoteIdentifier(name: string): string {
    return ansiQuoteIdentifier(name);
  }

  /** DuckDB literals have no backslash escapes: doubling quotes is all (NUL cannot be in one). */
  quoteLiteral(text: string): string {
    return ansiQuoteLiteral(text);
  }

  qualify(table: TableRef): string {
    return `${this.quoteIdentifier(table.schema)}.${this.quoteIdentifier(table.name)}`;
  }

  columnType(field: JsonSchema, options: ColumnTypeOptions): DuckType {
    return duckTypeFor(columnType(field, options));
  }

  metadataType(column: MetadataColumn): DuckType {
    return column === '_sdc_sequence' || column === '_sdc_table_version' ? BIGINT : TIMESTAMPTZ;
  }

  formatType(type: DuckType): string {
    return sqlType(type);
  }

  sameType(a: DuckType, b: DuckType): boolean {
    return sameType(a, b);
  }

  widen(current: DuckType, incoming: DuckType): DuckType {
    return widenDuckType(current, incoming);
  }

  createSchema(schema: string): string[] {
    return [`CREATE SCHEMA IF NOT EXISTS ${this.quoteIdentifier(schema)}`];
  }

  createTable(table: TableRef, columns: readonly ColumnDefinition<DuckType>[], _keys: readonly string[], comment?: string): string[] {
    const qualified = this.qualify(table);
    const definitions = columns.map((c) => `${this.quoteIdentifier(c.name)} ${sqlType(c.type)}${c.notNull ? ' NOT NULL' : ''}`);
    return [
      `CREATE TABLE IF NOT EXISTS ${qualified} (${definitions.join(', ')})`,
      ...(comment ? [`COMMENT ON TABLE ${qualified} IS ${this.quoteLiteral(comment)}`] : []),
      ...columns.flatMap((c) => (c.comment ? [this.columnComment(table, c.name, c.comment)] : [])),
    ];
  }

  addColumn(table: TableRef, column: ColumnDefinition<DuckType>): string[] {
    return [
      `ALTER TABLE ${this.qualify(table)} ADD COLUMN IF NOT EXISTS ${this.quoteIdentifier(column.name)} ${sqlType(column.type)}`,
      ...(column.comment ? [this.columnComment(table, column.name, column.comment)] : []),
    ];
  }

  /** DuckDB casts the values itself (every widening this dialect makes has an exact cast). */
  alterColumnType(table: TableRef, column: string, _from: DuckType, to: DuckType): string[] {
    return [`ALTER TABLE ${this.qualify(table)} ALTER COLUMN ${this.quoteIdentifier(column)} SET DATA TYPE ${sqlType(to)}`];
  }

  private columnComment(table: TableRef, column: string, comment: string): string {
    return `COMMENT ON COLUMN ${this.qualify(table)}.${this.quoteIdentifier(column)} IS ${this.quoteLiteral(comment)}`;
  }

  /** Staging tables live in DuckDB's `temp` catalog, one per stream of a session. */
  stagingTable(target: TableRef, id: number): TableRef {
    return { schema: 'main', name: `_mage_stage_${id}_${target.name}` };
  }

  dropStaging(staging: TableRef): string[] {
    return [`DROP TABLE IF EXISTS ${this.stagingName(staging)}`];
  }

  /**
   * A connection-local table in DuckDB's `temp` catalog with `columns` of `like` and the load order. Deletes need
   * no flag column: they are the rows whose `_sdc_deleted_at` is set.
   */
  createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[] {
    const list = columns.map((c) => this.quoteIdentifier(c)).join(', ');
    return [
      `CREATE OR REPLACE TEMP TABLE ${this.quoteIdentifier(staging.name)} AS SELECT ${list}, 0::BIGINT AS ${STAGING_SEQUENCE} FROM ${this.qualify(like)} LIMIT 0`,
    ];
  }

  /**
   * One statement moving staged rows into the target. Without keys (or with `append`) rows are inserted as they
   * are. With keys, the last staged row of each key (by STAGING_SEQUENCE; skipped when `distinctKeys` says no key
   * repeats) is merged per the conflict method; a staged `_sdc_deleted_at` deletes the row with its key (hard) or
   * marks it, keeping the values the record lacks (soft).
   */
  merge(plan: MergePlan): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const target = this.qualify(plan.target);
    const staging = this.stagingName(plan.staging);
    const value = (c: string, from: string) => (c === BATCHED_AT ? 'now()' : `${from}${q(c)}`);
    const insertColumns = plan.columns.map(q).join(', ');
    if (plan.method === 'append' || plan.keys.length === 0) {
      return [`INSERT INTO ${target} (${insertColumns}) SELECT ${plan.columns.map((c) => value(c, '')).join(', ')} FROM ${staging}`];
    }
    const latest = plan.distinctKeys
      ? `SELECT * FROM ${staging}`
      : `SELECT * FROM ${staging} QUALIFY row_number() OVER (PARTITION BY ${plan.keys.map(q).join(', ')} ORDER BY ${q(STAGING_SEQUENCE)} DESC) = 1`;
    const on = plan.keys.map((k) => `t.${q(k)} = s.${q(k)}`).join(' AND ');
    const deletes = plan.columns.includes(DELETED_AT);
    const updatable = plan.columns.filter((c) => !plan.keys.includes(c));
    const clauses: string[] = [];
    if (deletes && plan.hardDelete) clauses.push(`WHEN MATCHED AND s.${q(DELETED_AT)} IS NOT NULL THEN DELETE`);
    if (deletes && !plan.hardDelete) {
      // A delete often carries only the key: mark the row, keeping the values the record does not have.
      const kept = updatable.map(
        (c) => `${q(c)} = ${c === DELETED_AT || c === BATCHED_AT ? value(c, 's.') : `coalesce(s.${q(c)}, t.${q(c)})`}`,
      );
      clauses.push(`WHEN MATCHED AND s.${q(DELETED_AT)} IS NOT NULL THEN UPDATE SET ${kept.join(', ')}`);
    }
    if (plan.method === 'upsert' || plan.method === 'update_only') {
      const set = (updatable.length > 0 ? updatable : plan.keys).map((c) => `${q(c)} = ${value(c, 's.')}`).join(', ');
      clauses.push(`WHEN MATCHED THEN UPDATE SET ${set}`);
    }
    if (plan.method === 'upsert' || plan.method === 'ignore') {
      // Hard deletes of unknown keys insert nothing; soft ones keep the record, marked deleted.
      const guard = deletes && plan.hardDelete ? ` AND s.${q(DELETED_AT)} IS NULL` : '';
      clauses.push(
        `WHEN NOT MATCHED${guard} THEN INSERT (${insertColumns}) VALUES (${plan.columns.map((c) => value(c, 's.')).join(', ')})`,
      );
    }
    if (clauses.length === 0) return [];
    return [`MERGE INTO ${target} AS t USING (${latest}) AS s ON ${on}\n${clauses.join('\n')}`];
  }

  activateVersion(table: TableRef, version: number, hardDelete: boolean): string[] {
    return standardActivateVersion(this, table, version, hardDelete, 'now()');
  }

  /** Staging tables live in the `temp` catalog, whatever schema the TableRef names. */
  stagingName(staging: TableRef): string {
    return `temp.main.${this.quoteIdentifier(staging.name)}`;
  }
}
