import {
  buildCatalogStream,
  discoverProgress,
  type Catalog,
  type CatalogStream,
  type DiscoverContext,
  type JsonSchema,
} from '@mage-int/core';
import type pg from 'pg';
import { configuredSchemas, literal } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { columnSchema, TYPES_QUERY, TypeRegistry, type PgType } from './type-map.js';

/** A discovered relation: table, view, materialized view, foreign or partitioned table. */
interface RelationRow {
  oid: number;
  schema: string;
  table: string;
  kind: string;
  row_estimate: number | null;
}

interface ColumnRow {
  oid: number;
  name: string;
  type: number;
  declared: string;
  not_null: boolean;
}

interface KeyRow {
  oid: number;
  primary: boolean;
  columns: string[];
}

const RELKINDS = `('r','v','m','p','f')`;

/** Relations whose columns and keys are read per round trip: discovery reports progress after each batch. */
export const DISCOVER_BATCH = 200;

/**
 * The catalog queries of a discovery, in one round trip: pg_type, the relations (partitions are skipped: their
 * parent is the stream) and the database's name. Columns and keys follow per batch of relations (`detailQuery`).
 */
function relationsQuery(schemas: readonly string[]): string {
  const schemaList = `ARRAY[${schemas.map(literal).join(',')}]::text[]`;
  const relFilter = `n.nspname = ANY(${schemaList}) AND c.relkind IN ${RELKINDS} AND NOT c.relispartition`;
  return [
    TYPES_QUERY,
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table, c.relkind AS kind,
       CASE WHEN c.relkind = 'p' THEN (SELECT sum(GREATEST(p.reltuples, 0))::float8 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid)
            WHEN c.relkind IN ('r','m') THEN GREATEST(c.reltuples, 0)::float8 END AS row_estimate
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${relFilter} ORDER BY n.nspname, c.relname`,
    `SELECT current_database() AS database`,
  ].join(';\n');
}

/** The columns and primary keys / unique indexes of some relations, in one round trip. */
function detailQuery(oids: readonly number[]): string {
  const oidList = `ARRAY[${oids.join(',')}]::oid[]`;
  return [
    `SELECT a.attrelid::int AS oid, a.attname AS name, a.atttypid::int AS type, format_type(a.atttypid, a.atttypmod) AS declared, a.attnotnull AS not_null
     FROM pg_attribute a WHERE a.attrelid = ANY(${oidList}) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`,
    `SELECT i.indrelid::int AS oid, i.indisprimary AS primary, array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = ANY(${oidList}) AND i.indisvalid AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL))
     GROUP BY i.indexrelid, i.indrelid, i.indisprimary`,
  ].join(';\n');
}

/** The stream name of a table: the table name when one schema is configured, else `schema_table`. */
export function streamName(schema: string, table: string, schemaCount: number): string {
  return schemaCount === 1 ? table : `${schema}_${table}`;
}

export function tapStreamId(schema: string, table: string): string {
  return `${schema}-${table}`;
}

/**
 * Discovers every relation of the configured schemas: the relations in one round trip, then their columns and keys
 * per batch of DISCOVER_BATCH relations, reporting `tables` introspected of the total to `ctx.onProgress` after each.
 */
export async function discoverCatalog(client: pg.Client, config: Config, ctx?: DiscoverContext): Promise<Catalog> {
  const schemas = configuredSchemas(config);
  const results = (await client.query(relationsQuery(schemas))) as unknown as pg.QueryResult[];
  const [typeRes, relRes, dbRes] = results;
  const registry = new TypeRegistry((typeRes?.rows ?? []) as PgType[]);
  const relations = (relRes?.rows ?? []) as RelationRow[];
  const database = String((dbRes?.rows[0] as { database?: string } | undefined)?.database ?? config.database);
  const step = ctx ? discoverProgress(ctx, 'tables', relations.length) : () => {};

  const columnsByRel = new Map<number, ColumnRow[]>();
  const keysByRel = new Map<number, KeyRow[]>();
  for (let i = 0; i < relations.length; i += DISCOVER_BATCH) {
    const batch = relations.slice(i, i + DISCOVER_BATCH);
    const [colRes, keyRes] = (await client.query(detailQuery(batch.map((r) => r.oid)))) as unknown as pg.QueryResult[];
    for (const col of (colRes?.rows ?? []) as ColumnRow[]) {
      const list = columnsByRel.get(col.oid);
      if (list) list.push(col);
      else columnsByRel.set(col.oid, [col]);
    }
    for (const key of (keyRes?.rows ?? []) as KeyRow[]) {
      const list = keysByRel.get(key.oid);
      if (list) list.push(key);
      else keysByRel.set(key.oid, [key]);
    }
    const last = batch[batch.length - 1]!;
    step(`${last.schema}.${last.table}`, batch.length);
  }

  const streams: CatalogStream[] = [];
  for (const rel of relations) {
    const columns = columnsByRel.get(rel.oid) ?? [];
    const notNull = new Set(columns.filter((c) => c.not_null).map((c) => c.name));
    const configured = config.key_properties?.[`${rel.schema}.${rel.table}`];
    const keys = configured ?? chooseKey(keysByRel.get(rel.oid) ?? [], notNull);
    const properties: Record<string, JsonSchema> = {};
    const fieldMetadata: Record<string, Record<string, unknown>> = {};
    const validReplicationKeys: string[] = [];
    for (const col of columns) {
      const kind = registry.kind(col.type);
      properties[col.name] = columnSchema(kind, col.declared, col.not_null || keys.includes(col.name));
      fieldMetadata[col.name] = { 'sql-datatype': col.declared };
      if (kind.orderable) validReplicationKeys.push(col.name);
    }
    const isView = rel.kind === 'v' || rel.kind === 'm';
    streams.push(
      buildCatalogStream({
        tapStreamId: tapStreamId(rel.schema, rel.table),
        stream: streamName(rel.schema, rel.table, schemas.length),
        schema: { type: 'object', properties },
        keyProperties: keys,
        validReplicationKeys,
        fieldMetadata,
        streamMetadata: {
          'schema-name': rel.schema,
          'table-name': rel.table,
          'database-name': database,
          'is-view': isView,
          ...(rel.kind === 'p' ? { 'is-partitioned': true } : {}),
          ...(rel.row_estimate !== null ? { 'row-count': Math.round(rel.row_estimate) } : {}),
          // Views and materialized views have no WAL of their own.
          ...(isView || rel.kind === 'f' ? { 'log-based-unsupported': true } : {}),
        },
      }),
    );
    const last = streams[streams.length - 1]!;
    last.table_name = rel.table;
  }
  return { streams };
}

/** The primary key, else the narrowest unique index whose columns are all NOT NULL, else none. */
function chooseKey(keys: readonly KeyRow[], notNull: ReadonlySet<string>): string[] {
  const primary = keys.find((k) => k.primary);
  if (primary) return primary.columns;
  const unique = keys.filter((k) => k.columns.every((c) => notNull.has(c))).sort((a, b) => a.columns.length - b.columns.length);
  return unique[0]?.columns ?? [];
}
