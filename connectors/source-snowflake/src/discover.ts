import { buildCatalogStream, ConfigError, type Catalog, type JsonSchema } from '@mage-int/core';
import { quoteSnowflakeIdentifier, quoteSnowflakeString, type SnowflakeSession } from '@mage-int/snowflake';
import type { ResolvedConfig } from './generated/config.js';
import { columnSchema, ORDERABLE, resultTypeName, sqlDatatype, typeName, type SnowflakeColumn } from './type-map.js';

/** A stream's source: a table (or view) of the schema, or a query the config names. */
export interface StreamSource {
  name: string;
  table?: { database: string; schema: string; name: string; view: boolean; rowCount?: number };
  query?: string;
  columns: SnowflakeColumn[];
  keyProperties: string[];
  replicationKey?: string;
  schema: JsonSchema;
}

function schemaOf(columns: SnowflakeColumn[]): JsonSchema {
  return { type: 'object', properties: Object.fromEntries(columns.map((c) => [c.name, columnSchema(c)])) };
}

const num = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : Number(v));

/**
 * The schema's name as Snowflake has it: `schema` exactly when a schema has that name, else the one whose name it
 * is case-insensitively (an unquoted name, `public`, is `PUBLIC` in Snowflake). A ConfigError naming `schema` when none.
 */
async function schemaName(session: SnowflakeSession, config: ResolvedConfig, database: string): Promise<string> {
  const rows = await session.query(
    `SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE UPPER(SCHEMA_NAME) = UPPER(${quoteSnowflakeString(config.schema)})`,
    `schemas of database ${database}`,
  );
  const names = rows.map((r) => String(r['SCHEMA_NAME']));
  const name = names.find((n) => n === config.schema) ?? names.find((n) => n === config.schema.toUpperCase()) ?? names[0];
  if (name === undefined)
    throw new ConfigError('SNOWFLAKE_NO_SCHEMA', `database ${database} has no schema ${config.schema} that role may see`, {
      field: 'schema',
      hint: 'check `schema` and `database`, and grant USAGE on the schema to `role` (see the README: grants)',
    });
  return name;
}

/**
 * The streams of a config: each table and view of the schema (INFORMATION_SCHEMA.TABLES and COLUMNS, key properties
 * from `SHOW PRIMARY KEYS`: Snowflake declares them, enforces none) that `tables` names (all by default), and each
 * query of `queries` (its columns from running it with `LIMIT 0`, which reads nothing).
 */
export async function streamSources(session: SnowflakeSession, config: ResolvedConfig, database: string): Promise<StreamSource[]> {
  const schema = await schemaName(session, config, database);
  const literal = quoteSnowflakeString(schema);
  const tables = await session.query(
    `SELECT TABLE_NAME, TABLE_TYPE, ROW_COUNT FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ${literal} ORDER BY TABLE_NAME`,
    `tables of schema ${schema}`,
  );
  const columns = await session.query(
    `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_MAXIMUM_LENGTH, DATETIME_PRECISION, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ${literal} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    `columns of schema ${schema}`,
  );
  const keys = await session.query(
    `SHOW PRIMARY KEYS IN SCHEMA ${quoteSnowflakeIdentifier(database)}.${quoteSnowflakeIdentifier(schema)}`,
    `primary keys of schema ${schema}`,
  );
  const wanted = config.tables?.map((t) => t.toUpperCase());
  const sources: StreamSource[] = [];
  for (const table of tables) {
    const name = String(table['TABLE_NAME']);
    if (wanted && !wanted.includes(name.toUpperCase())) continue;
    const cols = columns
      .filter((c) => c['TABLE_NAME'] === name)
      .map((c): SnowflakeColumn => {
        const type = typeName(String(c['DATA_TYPE']));
        const precision = num(c['NUMERIC_PRECISION']);
        const scale = type === 'NUMBER' ? num(c['NUMERIC_SCALE']) : num(c['DATETIME_PRECISION']);
        const length = num(c['CHARACTER_MAXIMUM_LENGTH']);
        return {
          name: String(c['COLUMN_NAME']),
          type,
          ...(precision !== undefined ? { precision } : {}),
          ...(scale !== undefined ? { scale } : {}),
          ...(length !== undefined && type === 'TEXT' ? { length } : {}),
          nullable: c['IS_NULLABLE'] !== 'NO',
        };
      });
    const keyProperties = keys
      .filter((k) => k['table_name'] === name)
      .sort((a, b) => Number(a['key_sequence']) - Number(b['key_sequence']))
      .map((k) => String(k['column_name']));
    const rowCount = num(table['ROW_COUNT']);
    sources.push({
      name,
      table: {
        database,
        schema,
        name,
        view: String(table['TABLE_TYPE']).includes('VIEW'),
        ...(rowCount !== undefined ? { rowCount } : {}),
      },
      columns: cols,
      keyProperties,
      schema: schemaOf(cols),
    });
  }
  for (const t of wanted ?? [])
    if (!sources.some((s) => s.name.toUpperCase() === t))
      throw new ConfigError('SNOWFLAKE_NO_TABLE', `schema ${schema} has no table or view ${t} that role may see`, {
        field: 'tables',
        hint: `its tables: ${tables.map((r) => String(r['TABLE_NAME'])).join(', ') || '(none)'}; grant SELECT on them to \`role\``,
      });
  for (const query of config.queries ?? []) {
    const result = await session.columnsOf(`SELECT * FROM (${query.sql}) AS q LIMIT 0`, `query stream "${query.name}"`);
    const cols = result.map(
      (c): SnowflakeColumn => ({
        name: c.getName(),
        type: resultTypeName(c.getType()),
        ...(c.getType() === 'fixed' ? { precision: c.getPrecision(), scale: c.getScale() } : {}),
        ...(/^(time|timestamp_)/.test(c.getType()) ? { scale: c.getScale() } : {}),
        nullable: c.isNullable(),
      }),
    );
    for (const name of [...(query.key_properties ?? []), ...(query.replication_key ? [query.replication_key] : [])])
      if (!cols.some((c) => c.name === name))
        throw new ConfigError('SNOWFLAKE_QUERY_COLUMN', `query stream "${query.name}" has no column "${name}"`, {
          field: 'queries',
          hint: `its columns: ${cols.map((c) => c.name).join(', ')}`,
        });
    sources.push({
      name: query.name,
      query: query.sql,
      columns: cols,
      keyProperties: query.key_properties ?? [],
      ...(query.replication_key ? { replicationKey: query.replication_key } : {}),
      schema: schemaOf(cols),
    });
  }
  return sources;
}

/** The catalog of the streams: keys, valid replication keys (ordered scalar columns), each column's Snowflake type. */
export function catalogOf(sources: readonly StreamSource[], config: ResolvedConfig, database: string): Catalog {
  return {
    streams: sources.map((source) =>
      buildCatalogStream({
        stream: source.name,
        schema: source.schema,
        keyProperties: source.keyProperties,
        validReplicationKeys: source.columns.filter((c) => ORDERABLE.has(typeName(c.type))).map((c) => c.name),
        ...(source.replicationKey ? { replicationKey: source.replicationKey, replicationMethod: 'INCREMENTAL' as const } : {}),
        streamMetadata: {
          'database-name': database,
          'schema-name': source.table?.schema ?? config.schema,
          ...(source.query || source.table?.view ? { 'is-view': true } : {}),
          ...(source.table?.rowCount !== undefined ? { 'row-count': source.table.rowCount } : {}),
        },
        fieldMetadata: Object.fromEntries(source.columns.map((c) => [c.name, { 'sql-datatype': sqlDatatype(c) }])),
      }),
    ),
  };
}
