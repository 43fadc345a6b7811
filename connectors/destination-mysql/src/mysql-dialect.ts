import mysql from 'mysql2';
import type { JsonSchema } from '@mage-int/core';
import {
  METADATA_LOGICAL_TYPES,
  STAGING_DELETED,
  STAGING_SEQUENCE,
  standardActivateVersion,
  type ColumnDefinition,
  type ColumnTypeOptions,
  type IdentifierRules,
  type MergePlan,
  type MetadataColumn,
  type SqlDialect,
  type TableRef,
} from '@mage-int/core/sql';
import { defaultType, formatMysqlType, keyType, logicalOf, sameMysqlType, t, widenMysqlType, type MysqlType } from './mysql-types.js';
import type { ServerInfo } from './server-info.js';
import { fieldType } from './type-map.js';

const ER_TABLE_EXISTS = 1050;
const ER_DUP_FIELDNAME = 1060;

/** MySQL and MariaDB names are at most 64 characters. */
export const MYSQL_MAX_IDENTIFIER_LENGTH = 64;
/** The column a widening that needs a conversion expression fills before it replaces the old column. */
export const WIDENING_COLUMN = '_mage_widening';

export interface MysqlDialectOptions {
  lowercase?: boolean;
}

/**
 * The MySQL / MariaDB dialect of the SQL kit. DDL commits implicitly in MySQL, so the kit runs it only with
 * nothing uncommitted; the staging table is a TEMPORARY table (creating and dropping one does not commit), so
 * a flush — load into staging, merge, drop — is one transaction. Merges use `INSERT … ON DUPLICATE KEY UPDATE`
 * (with `VALUES(col)` on MariaDB, the derived-table alias on MySQL ≥ 8.0.19, where `VALUES()` is deprecated).
 * Literals go through the driver's escaping; the session pins `sql_mode` so backslash escapes mean what it expects.
 */
export class MysqlDialect implements SqlDialect<MysqlType> {
  readonly name = 'mysql';
  readonly capabilities = { transactionalDdl: false, enforcesUniqueKeys: true, merge: 'on-duplicate-key' } as const;
  readonly identifiers: IdentifierRules;
  /** Staging table name → the table it stages for, to name it in errors. */
  readonly stagedFor = new Map<string, TableRef>();

  constructor(
    readonly server: ServerInfo,
    options: MysqlDialectOptions = {},
  ) {
    this.identifiers = {
      maxBytes: MYSQL_MAX_IDENTIFIER_LENGTH,
      lengthUnit: 'characters',
      lowercase: options.lowercase ?? true,
      caseInsensitive: true,
    };
  }

  quoteIdentifier(name: string): string {
    return `\`${name.replace(/`/g, '``')}\``;
  }

  quoteLiteral(text: string): string {
    return mysql.escape(text);
  }

  qualify(table: TableRef): string {
    return `${this.quoteIdentifier(table.schema)}.${this.quoteIdentifier(table.name)}`;
  }

  columnType(field: JsonSchema, options: ColumnTypeOptions): MysqlType {
    return fieldType(field, options, this.server);
  }

  metadataType(column: MetadataColumn): MysqlType {
    return defaultType(METADATA_LOGICAL_TYPES[column]);
  }

  formatType(type: MysqlType): string {
    return formatMysqlType(type);
  }

  sameType(a: MysqlType, b: MysqlType): boolean {
    return sameMysqlType(a, b);
  }

  widen(current: MysqlType, incoming: MysqlType): MysqlType {
    return widenMysqlType(current, incoming);
  }

  /** The database is created at connect (connection.ts), where the user's rights are known. */
  createSchema(): string[] {
    return [];
  }

  /**
   * InnoDB, utf8mb4 with the server's binary no-pad collation (keys compare exactly, as in the source: `a`, `A`
   * and `a ` are three keys). Key columns get a type a primary key can have (varchar(255) for an unbounded string);
   * when the bounded strings would pass MySQL's 65,535-byte row limit, the longest non-key ones become longtext.
   */
  createTable(table: TableRef, columns: readonly ColumnDefinition<MysqlType>[], keys: readonly string[], comment?: string): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const types = new Map(columns.map((c) => [c.name, keys.includes(c.name) ? keyType(c.type) : c.type]));
    const varcharBytes = (type: MysqlType) =>
      type.name === 'varchar' || type.name === 'char'
        ? Number(type.args) * 4
        : type.name === 'varbinary' || type.name === 'binary'
          ? Number(type.args)
          : 0;
    const total = () => [...types.values()].reduce((sum, type) => sum + varcharBytes(type) + 2, 0);
    while (total() > 65_000) {
      const [name] =
        [...types.entries()].filter(([n]) => !keys.includes(n)).sort(([, a], [, b]) => varcharBytes(b) - varcharBytes(a))[0] ?? [];
      if (name === undefined || varcharBytes(types.get(name)!) === 0) break;
      types.set(name, types.get(name)!.name.includes('binary') ? t('longblob') : t('longtext'));
    }
    const definitions = columns.map(
      (c) =>
        `${q(c.name)} ${formatMysqlType(types.get(c.name)!)}${c.notNull || keys.includes(c.name) ? ' NOT NULL' : ' NULL'}${c.comment ? ` COMMENT ${this.quoteLiteral(c.comment)}` : ''}`,
    );
    if (keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map(q).join(', ')})`);
    return [
      `CREATE TABLE IF NOT EXISTS ${this.qualify(table)} (${definitions.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${this.server.collation}${comment ? ` COMMENT=${this.quoteLiteral(comment.slice(0, 2048))}` : ''}`,
    ];
  }

  /** MariaDB has `ADD COLUMN IF NOT EXISTS`; MySQL does not (a racing one fails with 1060: see lostDdlRace). */
  addColumn(table: TableRef, column: ColumnDefinition<MysqlType>): string[] {
    const ifNotExists = this.server.mariadb ? ' IF NOT EXISTS' : '';
    return [
      `ALTER TABLE ${this.qualify(table)} ADD COLUMN${ifNotExists} ${this.quoteIdentifier(column.name)} ${formatMysqlType(column.type)} NULL`,
    ];
  }

  /** Another writer created the table (1050) or added the column (1060, MySQL) at the same moment. */
  lostDdlRace(error: unknown): boolean {
    const errno = (error as { errno?: unknown } | null)?.errno;
    return errno === ER_TABLE_EXISTS || errno === ER_DUP_FIELDNAME;
  }

  /**
   * One `ALTER TABLE … MODIFY` where MySQL converts the values as the new type reads them (int → decimal, date →
   * datetime, varchar → longtext, numbers → JSON). Where it would not (a boolean stored as 1 becoming the text
   * `true`, text becoming a JSON string), the values are converted into a new column first and the old column is
   * replaced by it in one ALTER, so a crash leaves either the old column or the new one (a leftover half-filled
   * column is dropped by the connection's describeTable).
   */
  alterColumnType(table: TableRef, column: string, from: MysqlType, to: MysqlType): string[] {
    const target = this.qualify(table);
    const quoted = this.quoteIdentifier(column);
    const nullity = from.key ? ' NOT NULL' : ' NULL';
    const expression = conversion(quoted, from, to);
    if (expression === undefined || from.key) return [`ALTER TABLE ${target} MODIFY COLUMN ${quoted} ${formatMysqlType(to)}${nullity}`];
    const widening = this.quoteIdentifier(WIDENING_COLUMN);
    return [
      `ALTER TABLE ${target} ADD COLUMN ${widening} ${formatMysqlType(to)} NULL`,
      `UPDATE ${target} SET ${widening} = ${expression}`,
      `ALTER TABLE ${target} DROP COLUMN ${quoted}, CHANGE COLUMN ${widening} ${quoted} ${formatMysqlType(to)} NULL`,
    ];
  }

  stagingTable(target: TableRef, id: number): TableRef {
    const staging = { schema: target.schema, name: `_mage_stage_${id}` };
    this.stagedFor.set(staging.name, target);
    return staging;
  }

  /**
   * A TEMPORARY table (visible to this session only; creating it does not commit) with the target's `columns`
   * and types, plus the load sequence and the delete flag.
   */
  createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    return [
      ...this.dropStaging(staging),
      `CREATE TEMPORARY TABLE ${this.qualify(staging)} (${q(STAGING_SEQUENCE)} BIGINT NOT NULL DEFAULT 0 PRIMARY KEY, ${q(STAGING_DELETED)} TINYINT(1) NULL) ENGINE=InnoDB SELECT ${columns.map(q).join(', ')} FROM ${this.qualify(like)} WHERE 1 = 0`,
    ];
  }

  dropStaging(staging: TableRef): string[] {
    return [`DROP TEMPORARY TABLE IF EXISTS ${this.qualify(staging)}`];
  }

  /**
   * Staged rows move into the target per conflict method, the last row of a key winning: upsert is `INSERT … SELECT
   * … ON DUPLICATE KEY UPDATE` of every staged row in load order (a key's last row is applied last); ignore is
   * `INSERT IGNORE … SELECT` of the last row per key (ROW_NUMBER over the load sequence; staged values already have
   * the target's types, so IGNORE can only skip duplicate keys); update_only an UPDATE joined to the last row per
   * key; append a plain INSERT of every row in load order. A table without a unique index on the keys (made by
   * someone else) gets an UPDATE join and an INSERT … WHERE NOT EXISTS instead. Keys whose last row is a CDC
   * delete are removed with `hardDelete`.
   */
  merge(plan: MergePlan): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const target = this.qualify(plan.target);
    const staging = this.qualify(plan.staging);
    const cols = plan.columns.map(q);
    const list = cols.join(', ');
    if (plan.method === 'append' || plan.keys.length === 0)
      return [`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${staging} ORDER BY ${q(STAGING_SEQUENCE)}`];
    const keys = plan.keys.map(q);
    const latest = `(SELECT * FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY s.${q(STAGING_SEQUENCE)} DESC) AS ${q('_mage_rank')} FROM ${staging} s) ranked WHERE ${q('_mage_rank')} = 1)`;
    const live = plan.hardDelete ? ` WHERE d.${q(STAGING_DELETED)} IS NULL` : '';
    const liveAnd = plan.hardDelete ? ` AND d.${q(STAGING_DELETED)} IS NULL` : '';
    const keyMatch = keys.map((k) => `t.${k} = d.${k}`).join(' AND ');
    const updatable = cols.filter((c) => !keys.includes(c));
    const selectD = cols.map((c) => `d.${c}`).join(', ');
    const update = `UPDATE ${target} t JOIN ${latest} d ON ${keyMatch} SET ${updatable.map((c) => `t.${c} = d.${c}`).join(', ')}${live}`;
    const out: string[] = [];
    if (plan.method === 'upsert' || plan.method === 'ignore') {
      if (!plan.uniqueKey) {
        if (plan.method === 'upsert' && updatable.length > 0) out.push(update);
        out.push(
          `INSERT INTO ${target} (${list}) SELECT ${selectD} FROM ${latest} d WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})${liveAnd}`,
        );
      } else if (plan.method === 'ignore' || updatable.length === 0) {
        out.push(`INSERT IGNORE INTO ${target} (${list}) SELECT ${selectD} FROM ${latest} d${live}`);
      } else {
        // Every live staged row in load order: a key's later row updates what its earlier one inserted, so the
        // last wins without ranking the batch (a scan of the staging table's primary key, no sort).
        const ordered = `SELECT ${selectD} FROM ${staging} d${live} ORDER BY d.${q(STAGING_SEQUENCE)}`;
        out.push(
          this.server.upsertAlias
            ? // MySQL >= 8.0.19: the new row by the derived table's name (VALUES() is deprecated there); the LIMIT keeps
              // the derived table's order.
              `INSERT INTO ${target} (${list}) SELECT * FROM (${ordered} LIMIT 18446744073709551615) AS new ON DUPLICATE KEY UPDATE ${updatable.map((c) => `${target}.${c} = new.${c}`).join(', ')}`
            : `INSERT INTO ${target} (${list}) ${ordered} ON DUPLICATE KEY UPDATE ${updatable.map((c) => `${target}.${c} = VALUES(${c})`).join(', ')}`,
        );
      }
    } else if (plan.method === 'update_only' && updatable.length > 0) {
      out.push(update);
    }
    if (plan.hardDelete) out.push(`DELETE t FROM ${target} t JOIN ${latest} d ON ${keyMatch} WHERE d.${q(STAGING_DELETED)} = 1`);
    return out;
  }

  activateVersion(table: TableRef, version: number, hardDelete: boolean): string[] {
    return standardActivateVersion(this, table, version, hardDelete, 'UTC_TIMESTAMP(6)');
  }
}

/** The SQL that converts a column's values to a wider type, where MODIFY would convert them wrongly. */
function conversion(column: string, from: MysqlType, to: MysqlType): string | undefined {
  const source = logicalOf(from);
  const into = logicalOf(to);
  if (source === 'boolean' && (into === 'string' || into === 'json'))
    return `CASE WHEN ${column} IS NULL THEN NULL WHEN ${column} <> 0 THEN 'true' ELSE 'false' END`;
  if (source === 'binary' && into === 'string') return `LOWER(HEX(${column}))`;
  if (into === 'json' && !['json', 'integer', 'decimal', 'number'].includes(source)) {
    return source === 'binary' ? `JSON_QUOTE(TO_BASE64(${column}))` : `JSON_QUOTE(CAST(${column} AS CHAR))`;
  }
  return undefined;
}
