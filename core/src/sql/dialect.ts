import type { ConflictMethod } from '../connector/contract.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { ColumnTypeOptions, LogicalType } from './column-types.js';
import { quoteIdentifier, type IdentifierRules } from './identifiers.js';

/**
 * The record metadata columns (Singer's `_sdc_*`): added to every table with `add_record_metadata`;
 * `_sdc_table_version` whenever a stream is versioned (ACTIVATE_VERSION) and `_sdc_deleted_at` for soft deletes.
 */
export const METADATA_COLUMNS = [
  '_sdc_extracted_at',
  '_sdc_received_at',
  '_sdc_batched_at',
  '_sdc_deleted_at',
  '_sdc_sequence',
  '_sdc_table_version',
] as const;
export type MetadataColumn = (typeof METADATA_COLUMNS)[number];

/** The engine-neutral type of each metadata column; a dialect maps it like a field's. */
export const METADATA_LOGICAL_TYPES: Readonly<Record<MetadataColumn, LogicalType>> = {
  _sdc_extracted_at: 'timestamptz',
  _sdc_received_at: 'timestamptz',
  _sdc_batched_at: 'timestamptz',
  _sdc_deleted_at: 'timestamptz',
  _sdc_sequence: 'integer',
  _sdc_table_version: 'integer',
};

/** Staging-table columns the kit's loaders add: load order (the last row of a key wins) and the delete flag. */
export const STAGING_SEQUENCE = '_mage_seq';
export const STAGING_DELETED = '_mage_deleted';

/** A table in a schema (names as they are, unquoted). */
export interface TableRef {
  schema: string;
  name: string;
}

export interface ColumnDefinition<Type> {
  name: string;
  type: Type;
  notNull?: boolean;
  /** Remembers the stream or field a normalised name stands for (engines without comments ignore it). */
  comment?: string;
}

/** What an engine can and cannot do, for the loader to pick its strategy. */
export interface DialectCapabilities {
  /**
   * DDL rolls back with its transaction (PostgreSQL, DuckDB). MySQL, BigQuery, Snowflake and Redshift commit
   * DDL implicitly: the batching writer already runs DDL only with nothing uncommitted.
   */
  transactionalDdl: boolean;
  /** Unique keys are enforced (PostgreSQL, MySQL, DuckDB); BigQuery, Snowflake and Redshift only declare them. */
  enforcesUniqueKeys: boolean;
  /** The statement family that merges staged rows: INSERT … ON CONFLICT, MERGE INTO, or INSERT … ON DUPLICATE KEY UPDATE. */
  merge: 'on-conflict' | 'merge' | 'on-duplicate-key';
}

/** How a staging table's rows move into their target. */
export interface MergePlan {
  target: TableRef;
  staging: TableRef;
  /** Data columns the staging table carries (unquoted), besides STAGING_SEQUENCE / STAGING_DELETED. */
  columns: readonly string[];
  /** Key columns (empty: append). */
  keys: readonly string[];
  method: ConflictMethod;
  /** The target has an enforced unique index on exactly `keys` (ON CONFLICT / ON DUPLICATE KEY can use it). */
  uniqueKey: boolean;
  /** Staged rows flagged in STAGING_DELETED delete their key from the target (CDC hard delete). */
  hardDelete: boolean;
  /**
   * No key occurs twice among the staged rows (the loader tracked them): the merge may skip picking the last row
   * per key, a window over the whole batch that costs DuckDB about as much as the merge itself.
   */
  distinctKeys?: boolean;
}

/**
 * One SQL engine, in the spirit of Kysely's `Dialect`: the few things that differ between engines. The SQL
 * loader of a destination asks its dialect for every name, type and statement, so the mechanisms (naming,
 * widening, staging, merging, deleting) exist once per engine and are tested by the shared fixtures looped over
 * every dialect. `Type` is the dialect's own column type (parsed from a catalog, printed for DDL).
 */
export interface SqlDialect<Type> {
  readonly name: string;
  readonly identifiers: IdentifierRules;
  readonly capabilities: DialectCapabilities;

  /** `"name"` / `` `name` ``: the engine's identifier quoting. */
  quoteIdentifier(name: string): string;
  /** A string literal safe in any session of the engine (the driver's escaping where it has one). */
  quoteLiteral(text: string): string;
  /** The quoted, qualified name of a table. */
  qualify(table: TableRef): string;

  /** The column type for a field's JSON Schema; a believable `sql-datatype` of this engine is kept exactly. */
  columnType(field: JsonSchema, options: ColumnTypeOptions): Type;
  /** The column type of a metadata column. */
  metadataType(column: MetadataColumn): Type;
  /** The type as DDL spells it. */
  formatType(type: Type): string;
  sameType(a: Type, b: Type): boolean;
  /** A type holding every value of both (schema evolution); never narrower than `current`. */
  widen(current: Type, incoming: Type): Type;

  /** DDL, each a list of statements (run in order, outside any data transaction). */
  createSchema(schema: string): string[];
  createTable(table: TableRef, columns: readonly ColumnDefinition<Type>[], keys: readonly string[], comment?: string): string[];
  addColumn(table: TableRef, column: ColumnDefinition<Type>): string[];
  alterColumnType(table: TableRef, column: string, from: Type, to: Type): string[];
  /**
   * True for the engine's error meaning DDL lost a race with another writer making the same change at the same
   * moment (two workers creating one new table, or adding one column): the table, column or catalog entry exists by
   * now. The session then reads the table again and plans anew. DDL should avoid the error where the engine can
   * (`CREATE TABLE IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`); this covers the engines and cases that cannot
   * (MySQL has no `ADD COLUMN IF NOT EXISTS`; PostgreSQL's IF NOT EXISTS can still meet a catalog unique violation).
   */
  lostDdlRace?(error: unknown): boolean;

  /** Where a stream's staging table lives (`id` tells the streams of one session apart). */
  stagingTable(target: TableRef, id: number): TableRef;
  /**
   * A session-local staging table with `columns` of `like`, plus STAGING_SEQUENCE (bigint: load order; filled by
   * the engine when a loader leaves it out) and STAGING_DELETED (boolean: the row is a CDC delete).
   */
  createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[];
  /** Removes the staging table after its merge (nothing when the engine drops it at commit). */
  dropStaging(staging: TableRef): string[];
  /** Moves staged rows into the target per the conflict method; the last row of each key wins. */
  merge(plan: MergePlan): string[];
  /** ACTIVATE_VERSION: rows of older versions (or none) are deleted (hard) or get `_sdc_deleted_at` (soft). */
  activateVersion(table: TableRef, version: number, hardDelete: boolean): string[];
}

/**
 * SQLSTATEs of "already exists" errors a racing DDL statement may meet: duplicate table, column, schema (42P07,
 * 42701, 42P06 on PostgreSQL; 42S01, 42S21 on MySQL and ODBC) and PostgreSQL's catalog unique violation (23505) when
 * two `CREATE … IF NOT EXISTS` run at once.
 */
const ALREADY_EXISTS_STATES = new Set(['42P07', '42701', '42P06', '23505', '42S01', '42S21']);

/** The driver's SQLSTATE of an error (`code` in node-postgres, `sqlState` in mysql2), when it carries one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, sqlState } = error as { code?: unknown; sqlState?: unknown };
  if (typeof sqlState === 'string') return sqlState;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A standard "already exists" error by its SQLSTATE (see SqlDialect.lostDdlRace). */
export function standardLostDdlRace(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && ALREADY_EXISTS_STATES.has(state);
}

/** ANSI identifier quoting (PostgreSQL, DuckDB, Snowflake, Redshift): double quotes, embedded ones doubled. */
export const ansiQuoteIdentifier: (name: string) => string = quoteIdentifier;

/**
 * ANSI string literal: single quotes doubled. Right only where a backslash in a plain literal is an ordinary
 * character (DuckDB; PostgreSQL with standard_conforming_strings on); a dialect whose engine may treat it as an
 * escape (MySQL, PostgreSQL with the setting off) uses its driver's escaping instead.
 */
export function ansiQuoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL literal cannot hold a NUL character');
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The ACTIVATE_VERSION statements in standard SQL: rows whose `_sdc_table_version` is older than `version`
 * (or unset) are deleted, or marked with `_sdc_deleted_at = <now>` when they are not marked yet.
 */
export function standardActivateVersion(
  dialect: Pick<SqlDialect<unknown>, 'qualify' | 'quoteIdentifier'>,
  table: TableRef,
  version: number,
  hardDelete: boolean,
  now = 'CURRENT_TIMESTAMP',
): string[] {
  const target = dialect.qualify(table);
  const tableVersion = dialect.quoteIdentifier('_sdc_table_version');
  const deletedAt = dialect.quoteIdentifier('_sdc_deleted_at');
  const older = `(${tableVersion} IS NULL OR ${tableVersion} < ${Math.trunc(version)})`;
  if (hardDelete) return [`DELETE FROM ${target} WHERE ${older}`];
  return [`UPDATE ${target} SET ${deletedAt} = ${now} WHERE ${older} AND ${deletedAt} IS NULL`];
}

/**
 * A standard `MERGE INTO` for engines that have it (DuckDB, Snowflake, BigQuery, SQL Server, PostgreSQL 15+):
 * the last staged row per key (ROW_NUMBER over STAGING_SEQUENCE) is matched on the keys; per method, matched
 * rows are updated (upsert, update_only) and unmatched ones inserted (upsert, ignore); with `hardDelete`,
 * rows flagged deleted delete their match and insert nothing. Append and keyless streams insert every row.
 */
export function standardMerge(dialect: Pick<SqlDialect<unknown>, 'qualify' | 'quoteIdentifier'>, plan: MergePlan): string[] {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const target = dialect.qualify(plan.target);
  const staging = dialect.qualify(plan.staging);
  const list = plan.columns.map(q).join(', ');
  if (plan.method === 'append' || plan.keys.length === 0)
    return [`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${staging} ORDER BY ${q(STAGING_SEQUENCE)}`];
  const keys = plan.keys.map(q);
  const latest = `SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${q(STAGING_SEQUENCE)} DESC) AS ${q('_mage_rank')} FROM ${staging}) ranked WHERE ${q('_mage_rank')} = 1`;
  const on = keys.map((k) => `t.${k} = s.${k}`).join(' AND ');
  const deleted = `s.${q(STAGING_DELETED)} IS NOT NULL`;
  const updatable = plan.columns.filter((c) => !plan.keys.includes(c)).map(q);
  const clauses: string[] = [];
  if (plan.hardDelete) clauses.push(`WHEN MATCHED AND ${deleted} THEN DELETE`);
  if ((plan.method === 'upsert' || plan.method === 'update_only') && updatable.length > 0) {
    clauses.push(`WHEN MATCHED THEN UPDATE SET ${updatable.map((c) => `${c} = s.${c}`).join(', ')}`);
  }
  if (plan.method === 'upsert' || plan.method === 'ignore') {
    clauses.push(
      `WHEN NOT MATCHED${plan.hardDelete ? ` AND s.${q(STAGING_DELETED)} IS NULL` : ''} THEN INSERT (${list}) VALUES (${plan.columns.map((c) => `s.${q(c)}`).join(', ')})`,
    );
  }
  if (clauses.length === 0) return [];
  return [`MERGE INTO ${target} AS t USING (${latest}) AS s ON ${on}\n${clauses.join('\n')}`];
}
