import {
  buildCatalogStream,
  ConnectorError,
  discoverProgress,
  getMetadata,
  type Catalog,
  type CatalogStream,
  type DiscoverContext,
  type JsonSchema,
} from '@mage-int/core';
import { configuredDatabases, type MySqlClient } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { loadTables, type TableInfo } from './tables.js';
import { columnSchema, isOrderable, valueKind } from './type-map.js';

export function tapStreamId(database: string, table: string): string {
  return `${database}-${table}`;
}

/** A table's stream name: the table name, prefixed with its database when several are read. */
export function streamName(database: string, table: string, databaseCount: number): string {
  return databaseCount === 1 ? table : `${database}_${table}`;
}

/** The key of a table: the configured `key_properties`, else its own. */
export function tableKeys(config: Config, table: TableInfo): string[] {
  return config.key_properties?.[`${table.database}.${table.table}`] ?? table.keys;
}

/** The catalog entry of one table. */
export function tableStream(config: Config, table: TableInfo, databaseCount: number): CatalogStream {
  const keys = tableKeys(config, table);
  const properties: Record<string, JsonSchema> = {};
  const fieldMetadata: Record<string, Record<string, unknown>> = {};
  const validReplicationKeys: string[] = [];
  for (const column of table.columns) {
    properties[column.name] = columnSchema(column, keys.includes(column.name));
    fieldMetadata[column.name] = { 'sql-datatype': column.columnType, ...(column.json ? { 'mariadb-json': true } : {}) };
    if (isOrderable(valueKind(column))) validReplicationKeys.push(column.name);
  }
  const stream = buildCatalogStream({
    tapStreamId: tapStreamId(table.database, table.table),
    stream: streamName(table.database, table.table, databaseCount),
    schema: { type: 'object', properties },
    keyProperties: keys,
    validReplicationKeys,
    fieldMetadata,
    streamMetadata: {
      'database-name': table.database,
      'schema-name': table.database,
      'table-name': table.table,
      'is-view': table.isView,
      ...(table.rowEstimate !== undefined ? { 'row-count': table.rowEstimate } : {}),
      // Views write no binlog rows of their own.
      ...(table.isView ? { 'log-based-unsupported': true } : {}),
    },
  });
  stream.table_name = table.table;
  return stream;
}

/** Tables whose columns and keys are read per batch: discovery reports progress after each. */
export const DISCOVER_BATCH = 200;

/**
 * Discovers every table and view of the configured databases: their names first, then the tables' columns and keys
 * per batch of DISCOVER_BATCH, reporting `tables` introspected of the total to `ctx.onProgress` after each batch.
 */
export async function discoverCatalog(client: MySqlClient, config: Config, ctx?: DiscoverContext): Promise<Catalog> {
  const databases = configuredDatabases(config);
  const names = await client.query<{ db: string; name: string }>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    [databases],
  );
  const step = ctx ? discoverProgress(ctx, 'tables', names.length) : () => {};
  const tables: TableInfo[] = [];
  // In the server's order (databases, then tables, by name), as one query over all of them gave it.
  for (const database of new Set(names.map((n) => String(n.db)))) {
    const ids = names.filter((n) => n.db === database).map((n) => `${n.db}.${n.name}`);
    for (let i = 0; i < ids.length; i += DISCOVER_BATCH) {
      const batch = ids.slice(i, i + DISCOVER_BATCH);
      tables.push(...(await loadTables(client, [database], new Set(batch))));
      step(batch[batch.length - 1], batch.length);
    }
  }
  const found = new Set(names.map((t) => String(t.db)));
  const missing = databases.filter((d) => !found.has(d));
  if (missing.length > 0) {
    const exists = await client.query<{ name: string }>(
      `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)`,
      [missing],
    );
    const absent = missing.filter((d) => !exists.some((r) => r.name === d));
    if (absent.length > 0) {
      throw new ConnectorError('DATABASE_NOT_FOUND', `database(s) not found or not visible to ${config.username}: ${absent.join(', ')}`, {
        hint: 'check the `database` / `databases` setting and that the user has SELECT on it',
      });
    }
  }
  return { streams: tables.map((t) => tableStream(config, t, databases.length)) };
}

/** The database and table a catalog stream names (metadata first, then `database-table` in tap_stream_id). */
export function tableOf(stream: CatalogStream): { database: string; table: string } {
  const md = getMetadata(stream);
  const database = typeof md['database-name'] === 'string' ? md['database-name'] : (stream.tap_stream_id.split('-')[0] ?? '');
  const table =
    typeof md['table-name'] === 'string'
      ? md['table-name']
      : (stream.table_name ?? stream.tap_stream_id.slice(database.length + 1)) || stream.stream;
  return { database, table };
}
