import type pg from 'pg';
import type { TableRef } from '@mage-int/core/sql';
import type { Logger } from '@mage-int/core';
import { formatPgType, parsePgType, type PgType } from './pg-types.js';
import { fieldOfColumn, streamOfTable } from './naming.js';
import type { PostgresDialect } from './postgres-dialect.js';

/** A column of an existing table. */
export interface ExistingColumn {
  name: string;
  type: PgType;
  /** The field the column holds per its mage-int comment, null when it has none. */
  field: string | null;
  notNull: boolean;
}

/** What this destination knows of a target table. */
export interface TableInfo {
  schema: string;
  name: string;
  /** `"schema"."table"`. */
  qualified: string;
  columns: Map<string, ExistingColumn>;
  /** Column sets of the unique, non-partial indexes (the primary key among them). */
  uniqueKeys: string[][];
  /** The table was created without its primary key, to be built after its first load (PENDING_KEY_CONSTRAINT). */
  keyPending: boolean;
}

/**
 * Marks a table created without its primary key (defer_primary_key): a no-op CHECK constraint, committed with the
 * table and dropped in the transaction that adds the key, so a run that finds it (after a crash) builds the key
 * before it loads, and `\d` tells a reader why the table has no key yet.
 */
export const PENDING_KEY_CONSTRAINT = 'mage_int_primary_key_pending';

/** A column the load needs, with the comment to give it when it is created. */
export interface WantedColumn {
  name: string;
  type: PgType;
  notNull?: boolean;
  comment?: string;
}

/** Tables (and partitioned tables) of a schema, each with the stream its mage-int comment names (or null). */
export async function listTables(client: pg.Client, schema: string): Promise<Map<string, string | null>> {
  const result = await client.query<{ name: string; comment: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [schema],
  );
  return new Map(result.rows.map((r) => [r.name, streamOfTable(r.comment)]));
}

/** Reads a table's columns and unique keys; undefined when it does not exist. */
export async function describeTable(client: pg.Client, dialect: PostgresDialect, table: TableRef): Promise<TableInfo | undefined> {
  const qualified = dialect.qualify(table);
  const columns = await client.query<{ name: string; type: string; comment: string | null; not_null: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            col_description(a.attrelid, a.attnum) AS comment, a.attnotnull AS not_null
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualified],
  );
  if (columns.rows.length === 0) {
    const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [qualified]);
    if (!exists.rows[0]?.exists) return undefined;
  }
  // attname is of type name; name[] has no parser in node-postgres, text[] does.
  const keys = await client.query<{ columns: string[] }>(
    `SELECT array(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns
       FROM pg_index i
      WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
      ORDER BY i.indisprimary DESC`,
    [qualified],
  );
  const pending = await client.query<{ pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2) AS pending`,
    [qualified, PENDING_KEY_CONSTRAINT],
  );
  return {
    schema: table.schema,
    name: table.name,
    qualified,
    columns: new Map(
      columns.rows.map((r) => [
        r.name,
        {
          name: r.name,
          type: parsePgType(r.type) ?? { kind: 'other', name: r.type },
          field: fieldOfColumn(r.comment),
          notNull: r.not_null,
        },
      ]),
    ),
    uniqueKeys: keys.rows.map((r) => r.columns),
    keyPending: pending.rows[0]?.pending === true,
  };
}

/**
 * Adds the primary key a table was created without (dropping the pending-key mark), in the caller's transaction:
 * PostgreSQL builds the index by sorting the rows, cheaper than keeping it up to date row by row.
 */
export function addPendingKeySql(dialect: PostgresDialect, table: TableInfo, keyColumns: readonly string[]): string {
  return `ALTER TABLE ${table.qualified} DROP CONSTRAINT IF EXISTS ${dialect.quoteIdentifier(PENDING_KEY_CONSTRAINT)}, ADD PRIMARY KEY (${keyColumns.map((c) => dialect.quoteIdentifier(c)).join(', ')})`;
}

/** True when a unique index covers exactly `keys` (so ON CONFLICT can use it). */
export function hasUniqueKey(table: TableInfo, keys: readonly string[]): boolean {
  if (keys.length === 0) return false;
  const wanted = [...keys].sort().join('\0');
  return table.uniqueKeys.some((k) => [...k].sort().join('\0') === wanted);
}

export interface EnsureTableOptions {
  schema: string;
  table: string;
  columns: readonly WantedColumn[];
  keyColumns: readonly string[];
  /** The table comment naming the stream, when the table's name differs from it. */
  comment?: string;
  /** A table created now gets no primary key yet: the key columns NOT NULL, and the pending-key mark. */
  deferKey?: boolean;
  logger: Logger;
}

/**
 * Makes the table hold every wanted column: creates the schema and table on first sight (primary key on the
 * key columns), adds missing columns, and widens column types that cannot hold the incoming type (see
 * widenPgType). Never drops or narrows. Runs in its own transaction and returns the table as it now is.
 */
export async function ensureTable(
  client: pg.Client,
  dialect: PostgresDialect,
  options: EnsureTableOptions,
): Promise<{ info: TableInfo; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN');
      const result = await applyDdl(client, dialect, options);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // Another loader created the same schema or table at the same moment: look again.
      if (attempt < 4 && dialect.lostDdlRace(error)) continue;
      throw error;
    }
  }
}

async function applyDdl(
  client: pg.Client,
  dialect: PostgresDialect,
  options: EnsureTableOptions,
): Promise<{ info: TableInfo; created: boolean }> {
  const { columns, keyColumns, logger } = options;
  const table = { schema: options.schema, name: options.table };
  const qualified = dialect.qualify(table);
  let info = await describeTable(client, dialect, table);
  const created = !info;
  const statements: string[] = [];
  if (!info) {
    if (options.deferKey && keyColumns.length > 0) {
      const keyed = columns.map((c) => (keyColumns.includes(c.name) ? { ...c, notNull: true } : c));
      statements.push(
        ...dialect.createSchema(table.schema),
        ...dialect.createTable(table, keyed, [], options.comment),
        `ALTER TABLE ${qualified} ADD CONSTRAINT ${dialect.quoteIdentifier(PENDING_KEY_CONSTRAINT)} CHECK (true)`,
      );
      logger.info(`creating table ${qualified}, its primary key to be built after the rows`, { columns: columns.length, key: keyColumns });
    } else {
      statements.push(...dialect.createSchema(table.schema), ...dialect.createTable(table, columns, keyColumns, options.comment));
      logger.info(`creating table ${qualified}`, { columns: columns.length, key: keyColumns });
    }
  } else {
    for (const c of columns) {
      const existing = info.columns.get(c.name);
      if (!existing) {
        statements.push(...dialect.addColumn(table, c));
        logger.info(`adding column ${c.name} ${formatPgType(c.type)} to ${qualified}`);
        continue;
      }
      const widened = dialect.widen(existing.type, c.type);
      if (!dialect.sameType(widened, existing.type)) {
        statements.push(...dialect.alterColumnType(table, c.name, existing.type, widened));
        logger.info(`widening column ${c.name} of ${qualified} from ${formatPgType(existing.type)} to ${formatPgType(widened)}`);
      }
    }
  }
  if (statements.length === 0 && info) return { info, created };
  for (const sql of statements) await client.query(sql);
  info = await describeTable(client, dialect, table);
  if (!info) throw new Error(`table ${qualified} vanished while it was being created`);
  return { info, created };
}
