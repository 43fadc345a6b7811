import { buildCatalogStream, type Catalog, type CatalogStream, type JsonSchema } from '@mage-int/core';
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

/**
 * All catalog queries of a discovery in one round trip: pg_type, the relations, their columns and their
 * primary keys / unique indexes. Partitions are skipped (their parent is the stream).
 */
function discoveryQuery(schemas: readonly string[]): string {
  const schemaList = `ARRAY[${schemas.map(literal).join(',')}]::text[]`;
  const relFilter = `n.nspname = ANY(${schemaList}) AND c.relkind IN ${RELKINDS} AND NOT c.relispartition`;
  return [
    TYPES_QUERY,
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table, c.relkind AS kind,
       CASE WHEN c.relkind = 'p' THEN (SELECT sum(GREATEST(p.reltuples, 0))::float8 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid)
            WHEN c.relkind IN ('r','m') THEN GREATEST(c.reltuples, 0)::float8 END AS row_estimate
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${relFilter} ORDER BY n.nspname, c.relname`,
    `SELECT a.attrelid::int AS oid, a.attname AS name, a.atttypid::int AS type, format_type(a.atttypid, a.atttypmod) AS declared, a.attnotnull AS not_null
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${relFilter} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`,
    `SELECT i.indrelid::int AS oid, i.indisprimary AS primary, array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE ${relFilter} AND i.indisvalid AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL))
     GROUP BY i.indexrelid, i.indrelid, i.indisprimary`,
    `SELECT current_database() AS database`,
  ].join(';\n');
}

/** The stream name of a table: the table name when one schema is configured, else `schema_table`. */
export function streamName(schema: string, table: string, schemaCount: number): string {
  return schemaCount === 1 ? table : `${schema}_${table}`;
}

export function tapStreamId(schema: string, table: string): string {
  return `${schema}-${table}`;
}

/** Discovers every relation of the configured schemas in one round of catalog queries. */
export async function discoverCatalog(client: pg.Client, config: Config): Promise<Catalog> {
  const schemas = configuredSchemas(config);
  const results = (await client.query(discoveryQuery(schemas))) as unknown as pg.QueryResult[];
  const [typeRes, relRes, colRes, keyRes, dbRes] = results;
  const registry = new TypeRegistry((typeRes?.rows ?? []) as PgType[]);
  const relations = (relRes?.rows ?? []) as RelationRow[];
  const database = String((dbRes?.rows[0] as { database?: string } | undefined)?.database ?? config.database);

  const columnsByRel = new Map<number, ColumnRow[]>();
  for (const col of (colRes?.rows ?? []) as ColumnRow[]) {
    const list = columnsByRel.get(col.oid);
    if (list) list.push(col);
    else columnsByRel.set(col.oid, [col]);
  }
  const keysByRel = new Map<number, KeyRow[]>();
  for (const key of (keyRes?.rows ?? []) as KeyRow[]) {
    const list = keysByRel.get(key.oid);
    if (list) list.push(key);
    else keysByRel.set(key.oid, [key]);
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
