import type pg from 'pg';
import { buildCatalogStream, type Catalog, type JsonSchema } from '@mage-int/core';
import { quoteLiteral, redshiftError } from './connection.js';
import type { ResolvedConfig } from './generated/config.js';
import { fieldSchema, kindOf, ORDERED_KINDS, sqlDatatype, type RedshiftColumn } from './type-map.js';

/** A table or view of a configured schema, as discovered. */
export interface TableSource {
  /** `<schema>-<table>`: the stream's tap_stream_id. */
  name: string;
  schema: string;
  table: string;
  view: boolean;
  columns: RedshiftColumn[];
  keyProperties: string[];
  /** SVV_TABLE_INFO's row count (tables only; undefined for views and empty tables). */
  rows?: number;
  jsonSchema: JsonSchema;
}

export function schemasOf(config: ResolvedConfig): string[] {
  return typeof config.schema === 'string' ? [config.schema] : config.schema;
}

/**
 * Tables and views of the configured schemas from Redshift's catalog: SVV_TABLES, SVV_COLUMNS (types as Redshift
 * names them: `super`, `numeric` with precision and scale …), declared primary keys from information_schema
 * (informational in Redshift, but what the table's owner says identifies a row) and row counts from SVV_TABLE_INFO.
 */
export async function discoverTables(client: pg.Client, config: ResolvedConfig): Promise<TableSource[]> {
  const schemas = schemasOf(config).map(quoteLiteral).join(', ');
  try {
    const tables = await client.query(
      `SELECT table_schema, table_name, table_type FROM svv_tables WHERE table_schema IN (${schemas}) AND table_type IN ('BASE TABLE', 'VIEW') ORDER BY table_schema, table_name`,
    );
    const columns = await client.query(
      `SELECT table_schema, table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale FROM svv_columns WHERE table_schema IN (${schemas}) ORDER BY table_schema, table_name, ordinal_position`,
    );
    const keys = await client.query(
      `SELECT kcu.table_schema, kcu.table_name, kcu.column_name FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema IN (${schemas}) ORDER BY kcu.table_schema, kcu.table_name, kcu.ordinal_position`,
    );
    const info = await client.query(`SELECT "schema", "table", tbl_rows FROM svv_table_info WHERE "schema" IN (${schemas})`);
    const id = (schema: unknown, table: unknown) => `${String(schema)}-${String(table)}`;
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const columnsOf = new Map<string, RedshiftColumn[]>();
    for (const r of columns.rows) {
      const list = columnsOf.get(id(r.table_schema, r.table_name)) ?? [];
      list.push({
        name: String(r.column_name),
        dataType: String(r.data_type),
        length: num(r.character_maximum_length),
        precision: num(r.numeric_precision),
        scale: num(r.numeric_scale),
      });
      columnsOf.set(id(r.table_schema, r.table_name), list);
    }
    const keysOf = new Map<string, string[]>();
    for (const r of keys.rows)
      keysOf.set(id(r.table_schema, r.table_name), [...(keysOf.get(id(r.table_schema, r.table_name)) ?? []), String(r.column_name)]);
    const rowsOf = new Map(info.rows.map((r) => [id(r.schema, r.table), Number(r.tbl_rows)]));
    return tables.rows.map((r) => {
      const name = id(r.table_schema, r.table_name);
      const cols = columnsOf.get(name) ?? [];
      const rows = rowsOf.get(name);
      return {
        name,
        schema: String(r.table_schema),
        table: String(r.table_name),
        view: r.table_type === 'VIEW',
        columns: cols,
        keyProperties: keysOf.get(name) ?? [],
        ...(rows !== undefined && Number.isFinite(rows) ? { rows } : {}),
        jsonSchema: { type: 'object', properties: Object.fromEntries(cols.map((c) => [c.name, fieldSchema(c)])) },
      };
    });
  } catch (error) {
    throw redshiftError(error, `discovery of schemas ${schemas}`);
  }
}

/** The catalog: keys, replication keys (numbers, dates and timestamps), Redshift types as `sql-datatype`. */
export function catalogOf(tables: readonly TableSource[], database: string): Catalog {
  return {
    streams: tables.map((t) =>
      buildCatalogStream({
        stream: t.table,
        tapStreamId: t.name,
        schema: t.jsonSchema,
        keyProperties: t.keyProperties,
        validReplicationKeys: t.columns.filter((c) => ORDERED_KINDS.has(kindOf(c))).map((c) => c.name),
        streamMetadata: {
          'schema-name': t.schema,
          'database-name': database,
          'is-view': t.view,
          ...(t.rows !== undefined ? { 'row-count': t.rows } : {}),
        },
        fieldMetadata: Object.fromEntries(t.columns.map((c) => [c.name, { 'sql-datatype': sqlDatatype(c) }])),
      }),
    ),
  };
}
