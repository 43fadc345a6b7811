import { randomBytes } from 'node:crypto';
import type { JsonSchema } from '../protocol/json-schema.js';
import { columnType, widenLogicalType, type ColumnTypeOptions, type LogicalType } from './column-types.js';
import {
  ansiQuoteIdentifier,
  ansiQuoteLiteral,
  METADATA_LOGICAL_TYPES,
  STAGING_DELETED,
  STAGING_SEQUENCE,
  standardActivateVersion,
  standardLostDdlRace,
  standardMerge,
  type ColumnDefinition,
  type DialectCapabilities,
  type MergePlan,
  type MetadataColumn,
  type SqlDialect,
  type TableRef,
} from './dialect.js';
import type { IdentifierRules } from './identifiers.js';

/** A column type of the standard dialect: the engine-neutral kind and the SQL that spells it. */
export interface StandardType {
  logical: LogicalType;
  sql: string;
}

/** ANSI spellings; an engine overrides the ones it names differently. */
const ANSI_TYPES: Record<LogicalType, string> = {
  boolean: 'BOOLEAN',
  integer: 'BIGINT',
  // JSON numbers may carry any number of digits: only an exact decimal holds them all.
  number: 'NUMERIC',
  decimal: 'NUMERIC',
  string: 'VARCHAR',
  date: 'DATE',
  time: 'TIME',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMP WITH TIME ZONE',
  uuid: 'VARCHAR',
  binary: 'VARBINARY',
  json: 'VARCHAR',
};

export interface StandardDialectOptions {
  name?: string;
  identifiers?: IdentifierRules;
  capabilities?: Partial<DialectCapabilities>;
  /** The engine's spelling of each kind, where it differs from ANSI (`{binary: 'BYTEA', json: 'JSONB'}`). */
  types?: Partial<Record<LogicalType, string>>;
  /** More names the engine's catalog reports for a kind (`{'character varying': 'string'}`), for `parseType`. */
  aliases?: Record<string, LogicalType>;
  /** The current time in SQL (soft deletes stamp it). */
  now?: string;
}

/**
 * A dialect of standard SQL (ANSI quoting, `MERGE INTO`, ANSI type names), meant as the base of a new engine's
 * dialect: give it the engine's type names and limits, and override what the engine does its own way (a
 * MySQL dialect overrides quoting, `merge` with ON DUPLICATE KEY UPDATE and `createStaging`). Types follow the
 * engine-neutral `LogicalType`, so widening is core/sql's lattice; a `sql-datatype` is not kept exactly (an
 * engine dialect that can parse its own type names does that, as PostgresDialect does).
 */
export class StandardDialect implements SqlDialect<StandardType> {
  readonly name: string;
  readonly identifiers: IdentifierRules;
  readonly capabilities: DialectCapabilities;
  private readonly types: Record<LogicalType, string>;
  private readonly byName = new Map<string, LogicalType>();
  private readonly now: string;
  /** Tells this instance's staging tables from other sessions' (create a dialect per session). */
  private readonly token = randomBytes(4).toString('hex');

  constructor(options: StandardDialectOptions = {}) {
    this.name = options.name ?? 'standard';
    this.identifiers = options.identifiers ?? { maxBytes: 63, lowercase: true };
    this.capabilities = { transactionalDdl: true, enforcesUniqueKeys: true, merge: 'merge', ...options.capabilities };
    this.types = { ...ANSI_TYPES, ...options.types };
    for (const [logical, sql] of Object.entries(this.types))
      if (!this.byName.has(sql.toLowerCase())) this.byName.set(sql.toLowerCase(), logical as LogicalType);
    for (const [sql, logical] of Object.entries(options.aliases ?? {})) this.byName.set(sql.toLowerCase(), logical);
    this.now = options.now ?? 'CURRENT_TIMESTAMP';
  }

  quoteIdentifier(name: string): string {
    return ansiQuoteIdentifier(name);
  }

  quoteLiteral(text: string): string {
    return ansiQuoteLiteral(text);
  }

  qualify(table: TableRef): string {
    return `${this.quoteIdentifier(table.schema)}.${this.quoteIdentifier(table.name)}`;
  }

  /** The type of a kind. */
  typeOf(logical: LogicalType): StandardType {
    return { logical, sql: this.types[logical] };
  }

  /** A type as the engine's catalog names it (unknown names hold text). */
  parseType(name: string): StandardType {
    const bare = name
      .toLowerCase()
      .replace(/\(.*\)$/, '')
      .trim();
    const logical = this.byName.get(name.toLowerCase()) ?? this.byName.get(bare);
    return logical ? { logical, sql: name } : { logical: 'string', sql: name };
  }

  columnType(field: JsonSchema, options: ColumnTypeOptions): StandardType {
    return this.typeOf(columnType(field, options).logical);
  }

  metadataType(column: MetadataColumn): StandardType {
    return this.typeOf(METADATA_LOGICAL_TYPES[column]);
  }

  formatType(type: StandardType): string {
    return type.sql;
  }

  sameType(a: StandardType, b: StandardType): boolean {
    return a.logical === b.logical;
  }

  widen(current: StandardType, incoming: StandardType): StandardType {
    const logical = widenLogicalType(current.logical, incoming.logical);
    return logical === current.logical ? current : this.typeOf(logical);
  }

  createSchema(schema: string): string[] {
    return [`CREATE SCHEMA IF NOT EXISTS ${this.quoteIdentifier(schema)}`];
  }

  createTable(table: TableRef, columns: readonly ColumnDefinition<StandardType>[], keys: readonly string[]): string[] {
    const definitions = columns.map(
      (c) => `${this.quoteIdentifier(c.name)} ${c.type.sql}${c.notNull || keys.includes(c.name) ? ' NOT NULL' : ''}`,
    );
    if (keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map((k) => this.quoteIdentifier(k)).join(', ')})`);
    return [`CREATE TABLE IF NOT EXISTS ${this.qualify(table)} (${definitions.join(', ')})`];
  }

  addColumn(table: TableRef, column: ColumnDefinition<StandardType>): string[] {
    return [`ALTER TABLE ${this.qualify(table)} ADD COLUMN ${this.quoteIdentifier(column.name)} ${column.type.sql}`];
  }

  /** By SQLSTATE; ADD COLUMN has no IF NOT EXISTS in standard SQL, so a racing one fails with 42701/42S21. */
  lostDdlRace(error: unknown): boolean {
    return standardLostDdlRace(error);
  }

  /** Standard SQL cannot convert every type in place: a new column takes the values as text, then replaces the old. */
  alterColumnType(table: TableRef, column: string, _from: StandardType, to: StandardType): string[] {
    const target = this.qualify(table);
    const old = this.quoteIdentifier(column);
    const next = this.quoteIdentifier(`${column}__mage_widened`);
    return [
      `ALTER TABLE ${target} ADD COLUMN ${next} ${to.sql}`,
      `UPDATE ${target} SET ${next} = CAST(CAST(${old} AS ${this.types.string}) AS ${to.sql})`,
      `ALTER TABLE ${target} DROP COLUMN ${old}`,
      `ALTER TABLE ${target} RENAME COLUMN ${next} TO ${old}`,
    ];
  }

  /** Named per dialect instance (a token) and stream, so sessions loading one schema at once never share one. */
  stagingTable(target: TableRef, id: number): TableRef {
    return { schema: target.schema, name: `_mage_stage_${this.token}_${id}` };
  }

  createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[] {
    const list = columns.map((c) => this.quoteIdentifier(c)).join(', ');
    return [
      ...this.dropStaging(staging),
      `CREATE TABLE ${this.qualify(staging)} AS SELECT ${list} FROM ${this.qualify(like)} WHERE 1 = 0`,
      `ALTER TABLE ${this.qualify(staging)} ADD COLUMN ${this.quoteIdentifier(STAGING_SEQUENCE)} BIGINT`,
      `ALTER TABLE ${this.qualify(staging)} ADD COLUMN ${this.quoteIdentifier(STAGING_DELETED)} BOOLEAN`,
    ];
  }

  dropStaging(staging: TableRef): string[] {
    return [`DROP TABLE IF EXISTS ${this.qualify(staging)}`];
  }

  merge(plan: MergePlan): string[] {
    return standardMerge(this, plan);
  }

  activateVersion(table: TableRef, version: number, hardDelete: boolean): string[] {
    return standardActivateVersion(this, table, version, hardDelete, this.now);
  }
}
