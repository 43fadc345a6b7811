import pg from 'pg';
import type { JsonSchema } from '@mage-int/core';
import {
  STAGING_DELETED,
  STAGING_SEQUENCE,
  standardActivateVersion,
  standardLostDdlRace,
  type ColumnDefinition,
  type ColumnTypeOptions,
  type MergePlan,
  type MetadataColumn,
  type SqlDialect,
  type TableRef,
} from '@mage-int/core/sql';
import { conversionExpression, formatPgType, samePgType, widenPgType, type PgType } from './pg-types.js';
import { fieldType, METADATA_TYPES } from './type-map.js';

/** The column names Mage's SQL destinations prefix with `_` unless `allow_reserved_words` (its SQL_RESERVED_WORDS_SUBSET). */
const MAGE_RESERVED_WORDS: ReadonlySet<string> = new Set(['default']);

/** PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1). */
export const PG_MAX_IDENTIFIER_BYTES = 63;

/**
 * The PostgreSQL dialect of the SQL kit. Literals go through node-postgres's own escaping (`E'…'` with
 * backslashes doubled when the text has one), so they mean the same whatever `standard_conforming_strings`
 * a session or server has.
 */
export class PostgresDialect implements SqlDialect<PgType> {
  readonly name = 'postgres';
  readonly capabilities = { transactionalDdl: true, enforcesUniqueKeys: true, merge: 'on-conflict' } as const;
  readonly identifiers;

  /** The rules of column names: the identifiers', with Mage's reserved words prefixed unless they are allowed. */
  readonly columnIdentifiers;
  private readonly skipSchemaCreation: boolean;

  constructor(options: { lowercase?: boolean; allowReservedWords?: boolean; skipSchemaCreation?: boolean } = {}) {
    this.identifiers = { maxBytes: PG_MAX_IDENTIFIER_BYTES, lowercase: options.lowercase ?? true };
    this.columnIdentifiers =
      options.allowReservedWords === false ? { ...this.identifiers, prefixed: MAGE_RESERVED_WORDS } : this.identifiers;
    this.skipSchemaCreation = options.skipSchemaCreation ?? false;
  }

  quoteIdentifier(name: string): string {
    return pg.escapeIdentifier(name);
  }

  quoteLiteral(text: string): string {
    return pg.escapeLiteral(text);
  }

  qualify(table: TableRef): string {
    return `${this.quoteIdentifier(table.schema)}.${this.quoteIdentifier(table.name)}`;
  }

  columnType(field: JsonSchema, options: ColumnTypeOptions): PgType {
    return fieldType(field, options).pg;
  }

  metadataType(column: MetadataColumn): PgType {
    return METADATA_TYPES[column];
  }

  formatType(type: PgType): string {
    return formatPgType(type);
  }

  sameType(a: PgType, b: PgType): boolean {
    return samePgType(a, b);
  }

  widen(current: PgType, incoming: PgType): PgType {
    return widenPgType(current, incoming);
  }

  createSchema(schema: string): string[] {
    // skip_schema_creation: PostgreSQL wants CREATE on the database even for IF NOT EXISTS of a schema that exists.
    if (this.skipSchemaCreation) return [];
    return [`CREATE SCHEMA IF NOT EXISTS ${this.quoteIdentifier(schema)}`];
  }

  createTable(table: TableRef, columns: readonly ColumnDefinition<PgType>[], keys: readonly string[], comment?: string): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const definitions = columns.map((c) => `${q(c.name)} ${formatPgType(c.type)}${c.notNull || keys.includes(c.name) ? ' NOT NULL' : ''}`);
    if (keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map(q).join(', ')})`);
    const qualified = this.qualify(table);
    return [
      `CREATE TABLE IF NOT EXISTS ${qualified} (${definitions.join(', ')})`,
      ...(comment ? [`COMMENT ON TABLE ${qualified} IS ${this.quoteLiteral(comment)}`] : []),
      ...columns.flatMap((c) => (c.comment ? [this.columnComment(table, c.name, c.comment)] : [])),
    ];
  }

  addColumn(table: TableRef, column: ColumnDefinition<PgType>): string[] {
    return [
      `ALTER TABLE ${this.qualify(table)} ADD COLUMN IF NOT EXISTS ${this.quoteIdentifier(column.name)} ${formatPgType(column.type)}`,
      ...(column.comment ? [this.columnComment(table, column.name, column.comment)] : []),
    ];
  }

  /** IF NOT EXISTS still meets a catalog unique violation (23505) when two sessions create one table at once. */
  lostDdlRace(error: unknown): boolean {
    return standardLostDdlRace(error);
  }

  alterColumnType(table: TableRef, column: string, from: PgType, to: PgType): string[] {
    const quoted = this.quoteIdentifier(column);
    return [
      `ALTER TABLE ${this.qualify(table)} ALTER COLUMN ${quoted} TYPE ${formatPgType(to)} USING ${conversionExpression(quoted, from, to)}`,
    ];
  }

  private columnComment(table: TableRef, column: string, comment: string): string {
    return `COMMENT ON COLUMN ${this.qualify(table)}.${this.quoteIdentifier(column)} IS ${this.quoteLiteral(comment)}`;
  }

  stagingTable(_target: TableRef, id: number): TableRef {
    return { schema: 'pg_temp', name: `mage_stg_${id}` };
  }

  /** A temporary table (schema `pg_temp`) dropped at commit, shaped like the target's `columns`. */
  createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[] {
    const name = this.qualify(staging);
    return [
      `CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT ${columns.map((c) => this.quoteIdentifier(c)).join(', ')} FROM ${this.qualify(like)} WITH NO DATA`,
      `ALTER TABLE ${name} ADD COLUMN ${STAGING_SEQUENCE} bigint GENERATED BY DEFAULT AS IDENTITY, ADD COLUMN ${STAGING_DELETED} boolean`,
    ];
  }

  dropStaging(): string[] {
    return []; // ON COMMIT DROP
  }

  /**
   * Within the batch the last row of each key wins (DISTINCT ON … ORDER BY the load sequence, descending); then
   * per conflict method: upsert inserts new keys and replaces existing rows, update_only only replaces, ignore
   * only inserts new keys, append inserts every row. With a unique index on the keys this is one
   * `INSERT … ON CONFLICT`; without one (a table made by someone else) an UPDATE and an INSERT … WHERE NOT EXISTS.
   * Rows whose last version is a delete are removed from the target instead (hard delete).
   */
  merge(plan: MergePlan): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const target = this.qualify(plan.target);
    const staging = this.qualify(plan.staging);
    const cols = plan.columns.map(q);
    const keys = plan.keys.map(q);
    const list = cols.join(', ');
    if (plan.method === 'append' || keys.length === 0)
      return [`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${staging} ORDER BY ${STAGING_SEQUENCE}`];

    const latest = `(SELECT DISTINCT ON (${keys.join(', ')}) * FROM ${staging} ORDER BY ${keys.join(', ')}, ${STAGING_SEQUENCE} DESC)`;
    const live = plan.hardDelete ? ` WHERE d.${STAGING_DELETED} IS NOT TRUE` : '';
    const liveAnd = plan.hardDelete ? ` AND d.${STAGING_DELETED} IS NOT TRUE` : '';
    const keyMatch = keys.map((k) => `t.${k} = d.${k}`).join(' AND ');
    const keySet = new Set(keys);
    const updatable = cols.filter((c) => !keySet.has(c));
    const selectD = cols.map((c) => `d.${c}`).join(', ');
    const update = `UPDATE ${target} AS t SET ${updatable.map((c) => `${c} = d.${c}`).join(', ')} FROM ${latest} d WHERE ${keyMatch}${liveAnd}`;
    const out: string[] = [];
    if (plan.method === 'upsert' || plan.method === 'ignore') {
      if (plan.uniqueKey) {
        const action =
          plan.method === 'ignore' || updatable.length === 0
            ? 'DO NOTHING'
            : `DO UPDATE SET ${updatable.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
        out.push(
          `INSERT INTO ${target} AS t (${list}) SELECT ${selectD} FROM ${latest} d${live} ON CONFLICT (${keys.join(', ')}) ${action}`,
        );
      } else {
        if (plan.method === 'upsert' && updatable.length > 0) out.push(update);
        out.push(
          `INSERT INTO ${target} (${list}) SELECT ${selectD} FROM ${latest} d WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})${liveAnd}`,
        );
      }
    } else if (plan.method === 'update_only' && updatable.length > 0) {
      out.push(update);
    }
    if (plan.hardDelete) out.push(`DELETE FROM ${target} AS t USING ${latest} d WHERE ${keyMatch} AND d.${STAGING_DELETED}`);
    return out;
  }

  activateVersion(table: TableRef, version: number, hardDelete: boolean): string[] {
    return standardActivateVersion(this, table, version, hardDelete, 'now()');
  }
}
