import {
  fullTableSelectSql,
  incrementalSelectSql,
  type KeysetPosition,
  type KeysetSql,
  type RecordData,
  type SourceStream,
  type StreamSync,
} from '@mage-int/core';
import { quoteSnowflakeIdentifier as q, quoteSnowflakeString, type SnowflakeSession } from '@mage-int/snowflake';
import type { StreamSource } from './discover.js';
import { cellValue, FETCH_AS_STRING, KIT_ORDERED, ORDERABLE, sqlDatatype, typeName, type SnowflakeColumn } from './type-map.js';

export interface ReadSettings {
  batchRows: number;
}

/** A value of a column as a Snowflake literal of the column's type (`CAST('…' AS TIMESTAMP_TZ(9))`). */
function literal(column: SnowflakeColumn, value: unknown): string {
  const text = typeof value === 'object' && value !== null && 'text' in value ? String((value as { text: string }).text) : String(value);
  return `CAST(${quoteSnowflakeString(text)} AS ${sqlDatatype(column)})`;
}

/** The key columns of a keyed stream, when every one is a type Snowflake orders as the kit compares (numbers, instants). */
function keyOrdered(source: StreamSource): boolean {
  const keys = source.keyProperties.map((k) => source.columns.find((c) => c.name === k));
  return keys.length > 0 && keys.every((c) => c !== undefined && KIT_ORDERED.has(typeName(c.type)));
}

/**
 * One query per sync, its result streamed (the sdk's `streamRows`: chunk by chunk as the rows are consumed), each
 * `batch_rows` rows a batch: FULL_TABLE the whole table or query — in key order when the key's types compare as the
 * kit compares them, so an interrupted sync resumes strictly after the last committed key (`last_pk_fetched`);
 * INCREMENTAL the rows from the kit's start (`rk >= start`, or exactly after the last committed row when the kit
 * tracks the position) in (replication key, key) order, the key breaking ties.
 */
export function snowflakeStream(session: SnowflakeSession, source: StreamSource, settings: ReadSettings): SourceStream {
  const column = (name: string) => source.columns.find((c) => c.name === name);
  const ordered = (replicationKey: string | undefined) =>
    [replicationKey, ...source.keyProperties].every((name) => name === undefined || KIT_ORDERED.has(typeName(column(name)?.type ?? '')));
  return {
    name: source.name,
    keyProperties: source.keyProperties,
    ...(source.replicationKey ? { replicationKey: source.replicationKey } : {}),
    validReplicationKeys: source.columns.filter((c) => ORDERABLE.has(typeName(c.type))).map((c) => c.name),
    orderedByKey: keyOrdered(source),
    orderedByReplicationKey: ordered(source.replicationKey),
    schema: () => source.schema,
    read: (sync) => readRows(session, source, settings, sync, ordered(sync.replicationKey)),
  };
}

/** A column of the select list: OBJECT and ARRAY read as VARIANT, so their JSON text comes through exactly. */
function selectItem(column: SnowflakeColumn | undefined, name: string): string {
  const type = column ? typeName(column.type) : '';
  return type === 'OBJECT' || type === 'ARRAY' ? `CAST(${q(name)} AS VARIANT) AS ${q(name)}` : q(name);
}

/** The SELECT of a sync. */
export function statement(source: StreamSource, sync: StreamSync, ordered: boolean): string {
  const from = source.table ? `${q(source.table.database)}.${q(source.table.schema)}.${q(source.table.name)}` : `(${source.query}) AS q`;
  const selected = sync.fields.length > 0 ? sync.fields : source.columns.map((c) => c.name);
  const columns = selected
    .map((f) =>
      selectItem(
        source.columns.find((c) => c.name === f),
        f,
      ),
    )
    .join(', ');
  const columnOf = (name: string) => source.columns.find((c) => c.name === name) as SnowflakeColumn;
  // NULLS FIRST puts rows with a NULL key (a declared key is not enforced) behind any resume point.
  const sql: KeysetSql<SnowflakeColumn> = { from, columns, column: (c) => q(c.name), literal, keyOrder: (c) => `${q(c.name)} NULLS FIRST` };
  if (sync.method !== 'INCREMENTAL' || !sync.replicationKey) {
    // Key order, so the kit can save the last committed key.
    const keys = keyOrdered(source) ? source.keyProperties.map(columnOf) : [];
    const resume = sync.resumeAfter;
    return fullTableSelectSql(sql, keys, resume && keys.map((k) => resume[k.name]));
  }
  const rk = columnOf(sync.replicationKey);
  const keys = source.keyProperties.filter((k) => k !== rk.name).map(columnOf);
  const position: KeysetPosition = sync.position ?? { replicationKey: rk.name, ...(sync.start === undefined ? {} : { value: sync.start }) };
  return incrementalSelectSql(sql, rk, keys, position, ordered, (c) => c.name);
}

async function* readRows(
  session: SnowflakeSession,
  source: StreamSource,
  settings: ReadSettings,
  sync: StreamSync,
  ordered: boolean,
): AsyncGenerator<RecordData[]> {
  const sql = statement(source, sync, ordered);
  sync.logger.debug(`query for ${source.name}`, { sql });
  const fields = sync.fields.length > 0 ? sync.fields : source.columns.map((c) => c.name);
  const types = fields.map((f) => typeName(source.columns.find((c) => c.name === f)?.type ?? 'TEXT'));
  for await (const batch of session.stream(sql, `query of stream ${source.name}`, settings.batchRows, FETCH_AS_STRING)) {
    if (sync.signal.aborted) return;
    yield batch.rows.map((row) => {
      const record: RecordData = {};
      for (let i = 0; i < fields.length; i++) record[fields[i] as string] = cellValue(types[i] as string, row[i]);
      return record;
    });
  }
}
