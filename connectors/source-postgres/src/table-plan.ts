import {
  ConnectorError,
  getMetadata,
  keyProperties,
  selectedFields,
  type CatalogStream,
  type JsonSchema,
  type Logger,
} from '@mage-int/core';
import type pg from 'pg';
import { ident, qualified } from './connection.js';
import type { RowColumn } from './copy-text-decoder.js';
import { columnSchema, type TypeRegistry } from './type-map.js';

/** A live column of a table being read. */
export interface PlanColumn extends RowColumn {
  typeOid: number;
  declared: string;
  notNull: boolean;
}

/** What reading one selected stream needs: where the table is, which columns to read and how to parse them. */
export interface TablePlan {
  catalogStream: CatalogStream;
  tapStreamId: string;
  stream: string;
  schemaName: string;
  tableName: string;
  oid: number;
  relkind: string;
  columns: PlanColumn[];
  keys: string[];
  schema: JsonSchema;
}

/** The schema and table a catalog stream names (metadata first, then `schema-table` in tap_stream_id). */
export function tableOf(stream: CatalogStream): { schemaName: string; tableName: string } {
  const md = getMetadata(stream);
  const schemaName = typeof md['schema-name'] === 'string' ? md['schema-name'] : (stream.tap_stream_id.split('-')[0] ?? 'public');
  const tableName =
    typeof md['table-name'] === 'string'
      ? md['table-name']
      : (stream.table_name ?? stream.tap_stream_id.slice(schemaName.length + 1)) || stream.stream;
  return { schemaName, tableName };
}

/** The error for a selected stream whose table is gone. */
export function tableNotFound(stream: CatalogStream, schemaName: string, tableName: string): ConnectorError {
  return new ConnectorError('TABLE_NOT_FOUND', `table ${qualified(schemaName, tableName)} does not exist (dropped or renamed)`, {
    stream: stream.tap_stream_id,
    hint: 'run discovery again and deselect or rename the stream; its saved bookmark can be removed with `mage-int state clear`',
  });
}

interface LiveColumnRow {
  oid: number;
  relkind: string;
  name: string;
  type: number;
  declared: string;
  not_null: boolean;
}

/** Loads the live columns of a stream's table and checks the selection still fits it. */
export async function planTable(
  client: pg.Client,
  stream: CatalogStream,
  registry: TypeRegistry,
  logger: Logger,
  alsoRead: readonly string[] = [],
): Promise<TablePlan> {
  const { schemaName, tableName } = tableOf(stream);
  const { rows } = await client.query<LiveColumnRow>(
    `SELECT c.oid::int AS oid, c.relkind AS relkind, a.attname AS name, a.atttypid::int AS type, format_type(a.atttypid, a.atttypmod) AS declared, a.attnotnull AS not_null
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum`,
    [schemaName, tableName],
  );
  const first = rows[0];
  if (!first) throw tableNotFound(stream, schemaName, tableName);
  if (rows.some((r) => r.name !== null && !registry.has(r.type))) await registry.reload(client);
  const live = new Map(rows.filter((r) => r.name !== null).map((r) => [r.name, r]));
  const wanted = selectedFields(stream);
  const keys = keyProperties(stream);
  for (const key of [...keys, ...alsoRead]) {
    if (!live.has(key)) {
      throw new ConnectorError(
        'KEY_COLUMN_MISSING',
        `column "${key}" (a key or the replication key) no longer exists in ${qualified(schemaName, tableName)}`,
        {
          stream: stream.tap_stream_id,
          field: key,
          hint: 'run discovery again so the stream gets its current key',
        },
      );
    }
  }
  const columns: PlanColumn[] = [];
  const properties: Record<string, JsonSchema> = {};
  const catalogProps = stream.schema.properties ?? {};
  for (const [name, row] of live) {
    if (!wanted.includes(name) && !keys.includes(name) && !alsoRead.includes(name)) continue;
    const kind = registry.kind(row.type);
    columns.push({ name, parse: kind.parse, typeOid: row.type, declared: row.declared, notNull: row.not_null });
    const discovered = getMetadata(stream, ['properties', name])['sql-datatype'];
    const stale = typeof discovered === 'string' && discovered !== row.declared;
    if (stale)
      logger.warn(`column "${name}" is ${row.declared} now (the catalog says ${discovered}); its schema follows the table`, {
        stream: stream.tap_stream_id,
      });
    properties[name] = (!stale ? catalogProps[name] : undefined) ?? columnSchema(kind, row.declared, row.not_null || keys.includes(name));
  }
  for (const name of wanted)
    if (!live.has(name))
      logger.warn(`column "${name}" of ${qualified(schemaName, tableName)} no longer exists; it is skipped`, {
        stream: stream.tap_stream_id,
      });
  return {
    catalogStream: stream,
    tapStreamId: stream.tap_stream_id,
    stream: stream.stream,
    schemaName,
    tableName,
    oid: first.oid,
    relkind: first.relkind,
    columns,
    keys,
    schema: { ...stream.schema, type: 'object', properties },
  };
}

/** The SELECT list of a plan's columns. */
export function selectList(plan: TablePlan): string {
  return plan.columns.map((c) => ident(c.name)).join(', ');
}
