import type { BigQuery } from '@google-cloud/bigquery';
import { bigQueryError, qualifiedTable, quoteIdentifier, quoteLiteral } from '@mage-int/bigquery';
import {
  fullTableSelectSql,
  incrementalSelectSql,
  type JsonSchema,
  type KeysetPosition,
  type KeysetSql,
  type RecordData,
  type SourceStream,
  type StreamSync,
} from '@mage-int/core';
import { cellValue, type BigQueryField, typeName } from './type-map.js';

/** Types whose BigQuery order is the order the source kit compares values in (numbers and instants). */
const KIT_ORDERED = new Set(['INT64', 'NUMERIC', 'BIGNUMERIC', 'DATE', 'DATETIME', 'TIMESTAMP']);

/** A stream's source: a table of the dataset, or a query the config names. */
export interface StreamSource {
  name: string;
  /** `dataset.table`, or the SQL of a query stream. */
  table?: { dataset: string; name: string };
  query?: string;
  fields: BigQueryField[];
  keyProperties: string[];
  replicationKey?: string;
  schema: JsonSchema;
}

export interface ReadSettings {
  pageSize: number;
  location?: string;
}

/** A value of a column as a GoogleSQL literal of the column's type (`CAST('…' AS TIMESTAMP)`). */
function literal(field: BigQueryField, value: unknown): string {
  const text = typeof value === 'object' && value !== null && 'text' in value ? String((value as { text: string }).text) : String(value);
  return `CAST(${quoteLiteral(text)} AS ${typeName(field.type)})`;
}

/**
 * One query per sync, read page by page (jobs.getQueryResults, `page_size` rows a page, each page a batch):
 * FULL_TABLE the whole table or query — in key order when the key's types compare as the kit compares them, so an
 * interrupted sync resumes strictly after the last committed key (`last_pk_fetched`, the kit's `resumeAfter`);
 * INCREMENTAL the rows from the kit's start (`rk >= start`, or exactly after the last committed row when the kit
 * tracks the position) in (replication key, key) order.
 */
export function bigQueryStream(client: BigQuery, source: StreamSource, settings: ReadSettings): SourceStream {
  const field = (name: string) => source.fields.find((f) => f.name === name);
  const ordered = (replicationKey: string | undefined) =>
    [replicationKey, ...source.keyProperties].every((name) => name === undefined || KIT_ORDERED.has(typeName(field(name)?.type ?? '')));
  return {
    name: source.name,
    keyProperties: source.keyProperties,
    ...(source.replicationKey ? { replicationKey: source.replicationKey } : {}),
    validReplicationKeys: source.fields.filter((f) => f.mode !== 'REPEATED' && KIT_ORDERED.has(typeName(f.type))).map((f) => f.name),
    orderedByKey: keyOrdered(source),
    orderedByReplicationKey: ordered(source.replicationKey),
    schema: () => source.schema,
    read: (sync) => readRows(client, source, settings, sync, ordered(sync.replicationKey)),
  };
}

/** The key columns of a keyed stream, when every one is a scalar BigQuery orders as the kit compares (numbers, instants). */
function keyOrdered(source: StreamSource): boolean {
  const keys = source.keyProperties.map((k) => source.fields.find((f) => f.name === k));
  return keys.length > 0 && keys.every((f) => f !== undefined && f.mode !== 'REPEATED' && KIT_ORDERED.has(typeName(f.type)));
}

/** The SELECT of a sync (BigQuery has no row-value comparison: the kit spells keysets out). */
function statement(source: StreamSource, sync: StreamSync, ordered: boolean): string {
  const fieldOf = (name: string) => source.fields.find((f) => f.name === name) as BigQueryField;
  const sql: KeysetSql<BigQueryField> = {
    from: source.table ? qualifiedTable(source.table.dataset, source.table.name) : `(${source.query}) AS q`,
    columns: sync.fields.map((f) => quoteIdentifier(f)).join(', ') || '*',
    column: (f) => quoteIdentifier(f.name),
    literal,
  };
  if (sync.method !== 'INCREMENTAL' || !sync.replicationKey) {
    // Key order, so the kit can save the last committed key; rows with a NULL key come first (NULLS FIRST is
    // BigQuery's default for ASC), so they are behind any resume point.
    const keys = keyOrdered(source) ? source.keyProperties.map(fieldOf) : [];
    const resume = sync.resumeAfter;
    return fullTableSelectSql(sql, keys, resume && keys.map((k) => resume[k.name]));
  }
  const rk = fieldOf(sync.replicationKey);
  const keys = source.keyProperties.filter((k) => k !== rk.name).map(fieldOf);
  const position: KeysetPosition = sync.position ?? { replicationKey: rk.name, ...(sync.start === undefined ? {} : { value: sync.start }) };
  return incrementalSelectSql(sql, rk, keys, position, ordered, (f) => f.name);
}

async function* readRows(
  client: BigQuery,
  source: StreamSource,
  settings: ReadSettings,
  sync: StreamSync,
  ordered: boolean,
): AsyncGenerator<RecordData[]> {
  const query = statement(source, sync, ordered);
  sync.logger.debug(`query for ${source.name}`, { sql: query });
  let job;
  try {
    [job] = await client.createQueryJob({
      query,
      useLegacySql: false,
      jobPrefix: 'mage_int_read_',
      ...(settings.location ? { location: settings.location } : {}),
    });
  } catch (error) {
    throw bigQueryError(error, `query of stream ${source.name}`);
  }
  let pageToken: string | undefined;
  for (;;) {
    if (sync.signal.aborted) return;
    let response: { rows?: { f: { v: unknown }[] }[]; schema?: { fields?: BigQueryField[] }; pageToken?: string; jobComplete?: boolean };
    try {
      const [, , raw] = await job.getQueryResults({
        autoPaginate: false,
        maxResults: settings.pageSize,
        skipParsing: true,
        ...(pageToken ? { pageToken } : {}),
      });
      response = raw as typeof response;
    } catch (error) {
      throw bigQueryError(error, `results of stream ${source.name}`);
    }
    if (response.jobComplete === false) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const fields = response.schema?.fields ?? [];
    const records = (response.rows ?? []).map(
      (row) => Object.fromEntries(fields.map((f, i) => [f.name, cellValue(f, row.f[i]?.v)])) as RecordData,
    );
    if (records.length > 0) yield records;
    pageToken = response.pageToken;
    if (!pageToken) return;
  }
}
