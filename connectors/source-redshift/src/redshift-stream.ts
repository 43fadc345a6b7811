import type pg from 'pg';
import {
  fullTableSelectSql,
  incrementalSelectSql,
  type KeysetPosition,
  type KeysetSql,
  type RecordData,
  type SourceStream,
  type StreamSync,
} from '@mage-int/core';
import { quoteIdentifier, quoteLiteral, redshiftError } from './connection.js';
import type { TableSource } from './discover.js';
import { kindOf, ORDERED_KINDS, selectExpression, sqlDatatype, textValue, type RedshiftColumn } from './type-map.js';
import type { Unloader } from './unload.js';

export interface ReadSettings {
  batchSize: number;
  /** UNLOAD for FULL_TABLE syncs of tables with at least this many rows (undefined: never). */
  unload?: { unloader: Unloader; minRows: number };
}

/** A value as a literal of its column's type: `CAST('…' AS numeric(38,2))`. */
function literal(column: RedshiftColumn, value: unknown): string {
  const text = typeof value === 'object' && value !== null && 'text' in value ? String((value as { text: string }).text) : String(value);
  return `CAST(${quoteLiteral(text)} AS ${sqlDatatype(column)})`;
}

function ordered(source: TableSource, names: readonly (string | undefined)[]): boolean {
  return names.every((name) => {
    if (name === undefined) return true;
    const column = source.columns.find((c) => c.name === name);
    return column !== undefined && ORDERED_KINDS.has(kindOf(column));
  });
}

/** The columns of the selected fields (all when none is named). */
export function selectedColumns(source: TableSource, fields: readonly string[]): RedshiftColumn[] {
  const wanted = new Set(fields);
  const chosen = source.columns.filter((c) => wanted.has(c.name));
  return chosen.length > 0 ? chosen : source.columns;
}

/** The query of a sync: FULL_TABLE in key order after `resumeAfter`, INCREMENTAL in (replication key, key) order from the kit's position. */
export function statement(
  source: TableSource,
  sync: Pick<StreamSync, 'method' | 'replicationKey' | 'fields' | 'resumeAfter' | 'position' | 'start'>,
): string {
  const from = `${quoteIdentifier(source.schema)}.${quoteIdentifier(source.table)}`;
  const columns = selectedColumns(source, sync.fields)
    .map((c) => selectExpression(c, quoteIdentifier))
    .join(', ');
  const col = (name: string) => source.columns.find((c) => c.name === name) as RedshiftColumn;
  const sql: KeysetSql<RedshiftColumn> = { from, columns, column: (c) => quoteIdentifier(c.name), literal };
  if (sync.method !== 'INCREMENTAL' || !sync.replicationKey) {
    const keys = ordered(source, source.keyProperties) ? source.keyProperties.map(col) : [];
    const resume = sync.resumeAfter;
    return fullTableSelectSql(sql, keys, resume && keys.map((k) => resume[k.name]));
  }
  const rk = col(sync.replicationKey);
  const keys = source.keyProperties.filter((k) => k !== rk.name).map(col);
  const inOrder = ordered(source, [rk.name, ...keys.map((k) => k.name)]);
  const position: KeysetPosition = sync.position ?? { replicationKey: rk.name, ...(sync.start === undefined ? {} : { value: sync.start }) };
  return incrementalSelectSql(sql, rk, keys, position, inOrder, (c) => c.name);
}

/**
 * A table or view as a stream of the source kit. Reads go through a server-side cursor (`DECLARE … CURSOR` in a
 * transaction, `FETCH FORWARD batch_size`), so memory holds one batch; FULL_TABLE of a big table may go through
 * UNLOAD to S3 instead (not resumable mid-way: a new version starts over).
 */
export function redshiftStream(client: pg.Client, source: TableSource, settings: ReadSettings): SourceStream {
  const unloads = (method: string) =>
    settings.unload !== undefined && method === 'FULL_TABLE' && !source.view && (source.rows ?? 0) >= settings.unload.minRows;
  return {
    name: source.name,
    keyProperties: source.keyProperties,
    validReplicationKeys: source.columns.filter((c) => ORDERED_KINDS.has(kindOf(c))).map((c) => c.name),
    orderedByKey: source.keyProperties.length > 0 && ordered(source, source.keyProperties) && !unloads('FULL_TABLE'),
    // Replication keys are numbers, dates or timestamps; with keys of such kinds too the rows come in (replication
    // key, key) order and the bookmark moves with every batch, else only at the end of the stream.
    orderedByReplicationKey: ordered(source, source.keyProperties),
    schema: () => source.jsonSchema,
    async *read(sync) {
      if (unloads(sync.method) && settings.unload) {
        yield* settings.unload.unloader.read(source, selectedColumns(source, sync.fields), settings.batchSize, sync);
        return;
      }
      yield* cursorRows(client, source, statement(source, sync), selectedColumns(source, sync.fields), settings.batchSize, sync);
    },
  };
}

let cursors = 0;

async function* cursorRows(
  client: pg.Client,
  source: TableSource,
  sql: string,
  columns: RedshiftColumn[],
  batchSize: number,
  sync: StreamSync,
): AsyncGenerator<RecordData[]> {
  const cursor = `mage_cursor_${++cursors}`;
  sync.logger.debug(`query for ${source.name}`, { sql });
  const run = async (text: string) => {
    try {
      return await client.query(text);
    } catch (error) {
      throw redshiftError(error, `reading ${source.schema}.${source.table}`);
    }
  };
  await run('BEGIN');
  let open = true;
  try {
    await run(`DECLARE ${cursor} CURSOR FOR ${sql}`);
    for (;;) {
      if (sync.signal.aborted) return;
      const result = await run(`FETCH FORWARD ${Math.trunc(batchSize)} FROM ${cursor}`);
      const rows = result.rows as Record<string, string | null>[];
      if (rows.length > 0) yield rows.map((row) => Object.fromEntries(columns.map((c) => [c.name, textValue(c, row[c.name] ?? null)])));
      if (rows.length < batchSize) break;
    }
    await run(`CLOSE ${cursor}`);
    await run('END');
    open = false;
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => {});
  }
}
