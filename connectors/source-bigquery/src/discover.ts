import type { BigQuery } from '@google-cloud/bigquery';
import { bigQueryError } from '@mage-int/bigquery';
import { buildCatalogStream, ConfigError, type Catalog, type JsonSchema } from '@mage-int/core';
import type { StreamSource } from './bigquery-stream.js';
import type { ResolvedConfig } from './generated/config.js';
import { fieldSchema, ORDERABLE, typeName, type BigQueryField } from './type-map.js';

function schemaOf(fields: BigQueryField[]): JsonSchema {
  return { type: 'object', properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])) };
}

/**
 * The streams of a config: each table of the dataset (tables.list, then tables.get for its schema and its
 * `PRIMARY KEY … NOT ENFORCED` as key properties) that `tables` names (all by default), and each query of `queries`
 * (its schema from a dry run: free, nothing read).
 */
export async function streamSources(client: BigQuery, config: ResolvedConfig): Promise<StreamSource[]> {
  const dataset = client.dataset(config.dataset);
  const sources: StreamSource[] = [];
  try {
    const names = config.tables ?? (await dataset.getTables({ autoPaginate: true }))[0].map((t) => t.id as string);
    for (const name of names) {
      const [metadata] = await dataset.table(name).getMetadata();
      const fields = (metadata.schema?.fields ?? []) as BigQueryField[];
      const keys = ((metadata.tableConstraints?.primaryKey?.columns ?? []) as string[]).filter((k) => fields.some((f) => f.name === k));
      sources.push({ name, table: { dataset: config.dataset, name }, fields, keyProperties: keys, schema: schemaOf(fields) });
    }
    for (const query of config.queries ?? []) {
      const [job] = await client.createQueryJob({
        query: query.sql,
        dryRun: true,
        useLegacySql: false,
        ...(config.location ? { location: config.location } : {}),
      });
      const fields = (job.metadata?.statistics?.query?.schema?.fields ?? []) as BigQueryField[];
      for (const name of [...(query.key_properties ?? []), ...(query.replication_key ? [query.replication_key] : [])])
        if (!fields.some((f) => f.name === name))
          throw new ConfigError('BIGQUERY_QUERY_COLUMN', `query stream "${query.name}" has no column "${name}"`, {
            field: 'queries',
            hint: `its columns: ${fields.map((f) => f.name).join(', ')}`,
          });
      sources.push({
        name: query.name,
        query: query.sql,
        fields,
        keyProperties: query.key_properties ?? [],
        ...(query.replication_key ? { replicationKey: query.replication_key } : {}),
        schema: schemaOf(fields),
      });
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw bigQueryError(error, `dataset ${config.dataset}`);
  }
  return sources;
}

/** The catalog of the streams: keys, valid replication keys (ordered scalar columns), each column's BigQuery type. */
export function catalogOf(sources: readonly StreamSource[], dataset: string): Catalog {
  return {
    streams: sources.map((source) =>
      buildCatalogStream({
        stream: source.name,
        schema: source.schema,
        keyProperties: source.keyProperties,
        validReplicationKeys: source.fields.filter((f) => f.mode !== 'REPEATED' && ORDERABLE.has(typeName(f.type))).map((f) => f.name),
        ...(source.replicationKey ? { replicationKey: source.replicationKey, replicationMethod: 'INCREMENTAL' as const } : {}),
        streamMetadata: { 'schema-name': dataset, ...(source.query ? { 'is-view': true } : {}) },
        fieldMetadata: Object.fromEntries(
          source.fields.map((f) => [f.name, { 'sql-datatype': f.mode === 'REPEATED' ? `ARRAY<${typeName(f.type)}>` : typeName(f.type) }]),
        ),
      }),
    ),
  };
}
