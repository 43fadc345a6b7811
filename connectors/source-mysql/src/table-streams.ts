import type { KeyRange, KeysetPosition, RecordData, SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import type { MySqlClient } from './connection.js';
import { ident, qualified } from './connection.js';
import { keysetAfter, keysetCompare, orderBy, valueLiteral } from './keyset-sql.js';
import { NativeRowsWriter } from './native-rows.js';
import { queryBatches } from './query-rows.js';
import { selectList, type PlanColumn, type TablePlan } from './table-plan.js';
import { ordersLikeTheKit } from './type-map.js';

/** What the table streams of one read share. */
export interface TableReadEnv {
  client: MySqlClient;
  batchSize: number;
  /** The destination loads PostgreSQL COPY text as it is (ConnectorContext.nativeRows): batches carry it. */
  copyText?: boolean;
}

function column(plan: TablePlan, name: string): PlanColumn {
  const found = plan.columns.find((c) => c.name === name);
  if (!found) throw new Error(`column ${name} is not in the plan of ${plan.tapStreamId}`);
  return found;
}

/**
 * The query of a whole table in key order, strictly after `resumeAfter` when given (FULL_TABLE, LOG_BASED snapshots),
 * and only the keys `range.from` ≤ keys < `range.to` of a key range (FULL_TABLE split over workers).
 */
export function fullTableQuery(plan: TablePlan, resumeAfter?: Record<string, unknown>, range?: KeyRange): string {
  const keys = plan.keys.map((k) => column(plan, k));
  const at = (values: Record<string, unknown>) => keys.map((k) => values[k.name]);
  const conditions =
    keys.length === 0
      ? []
      : [
          ...(resumeAfter ? [keysetCompare(keys, at(resumeAfter), '>')] : []),
          ...(range?.from ? [keysetCompare(keys, at(range.from), '>', true)] : []),
          ...(range?.to ? [keysetCompare(keys, at(range.to), '<')] : []),
        ];
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return `SELECT ${selectList(plan)} FROM ${qualified(plan.database, plan.table)}${where}${orderBy(keys)}`;
}

/**
 * The rows of `sql` in batches, each with its PostgreSQL COPY text (native rows) when the destination loads that and
 * the plan's columns all have one.
 */
function tableBatches(env: TableReadEnv, plan: TablePlan, sql: string, signal: AbortSignal): AsyncGenerator<StreamBatch> {
  const native = env.copyText ? NativeRowsWriter.forColumns(plan.columns) : undefined;
  return queryBatches(env.client, plan, sql, [], env.batchSize, signal, native ? { native } : {});
}

/**
 * FULL_TABLE: one streaming query ordered by the key, so an interrupted sync resumes after `last_pk_fetched`
 * (the kit's `sync.resumeAfter`); a table without a key is read unordered and starts over. A key range
 * (`sync.keyRange`) reads only its keys.
 */
async function* readFullTable(env: TableReadEnv, plan: TablePlan, sync: StreamSync): AsyncGenerator<StreamBatch> {
  yield* tableBatches(env, plan, fullTableQuery(plan, sync.resumeAfter, sync.keyRange), sync.signal);
}

/**
 * INCREMENTAL: keyset pages on (replication key, key), `batch_size` rows a page, never OFFSET, in the columns'
 * own collations so an index on them serves every page. The start is the kit's position (the bookmarked value
 * inclusive, or exactly after the last committed row) when the stream promised the kit its order, else the
 * bookmarked value (`sync.start`). Without a key the range is one streaming query in replication-key order.
 */
async function* readIncremental(env: TableReadEnv, plan: TablePlan, sync: StreamSync): AsyncGenerator<StreamBatch> {
  const rk = column(plan, sync.replicationKey as string);
  const keys = plan.keys.filter((k) => k !== rk.name).map((k) => column(plan, k));
  const table = qualified(plan.database, plan.table);
  const columns = [rk, ...keys];
  let position: KeysetPosition = sync.position ?? { replicationKey: rk.name, ...(sync.start === undefined ? {} : { value: sync.start }) };
  const condition = (): string => {
    const { value, afterKeys } = position;
    if (value === undefined || value === null) return `${ident(rk.name)} IS NOT NULL`;
    if (keys.length > 0 && afterKeys)
      return keysetAfter(
        columns,
        columns.map((c) => (c === rk ? value : afterKeys[c.name])),
      );
    return `${ident(rk.name)} >= ${valueLiteral(value, rk)}`;
  };
  if (plan.keys.length === 0) {
    const sql = `SELECT ${selectList(plan)} FROM ${table} WHERE ${condition()}${orderBy([rk])}`;
    yield* tableBatches(env, plan, sql, sync.signal);
    return;
  }
  for (;;) {
    const sql = `SELECT ${selectList(plan)} FROM ${table} WHERE ${condition()}${orderBy(columns)} LIMIT ${env.batchSize}`;
    let rows = 0;
    for await (const batch of tableBatches(env, plan, sql, sync.signal)) {
      rows += batch.records.length;
      const last = batch.records[batch.records.length - 1] as RecordData;
      position = { replicationKey: rk.name, value: last[rk.name], afterKeys: Object.fromEntries(plan.keys.map((k) => [k, last[k]])) };
      yield batch;
    }
    if (rows < env.batchSize) return;
  }
}

/**
 * The source-kit stream of a planned table: the kit owns SCHEMA, STATE, versions and bookmarks. INCREMENTAL pages
 * come in the order the kit checks (and resume exactly mid-value) when the server orders the replication key and
 * the key columns as the kit compares them; text in a case-insensitive collation does not, and such a stream's
 * bookmark moves at its end instead (an interrupted run starts again at the previous bookmark).
 */
export function tableStream(env: TableReadEnv, plan: TablePlan, replicationKey?: string): SourceStream {
  const ordered = [...(replicationKey ? [replicationKey] : []), ...plan.keys].every((name) => ordersLikeTheKit(column(plan, name)));
  return {
    name: plan.tapStreamId,
    keyProperties: plan.keys,
    orderedByKey: plan.keys.length > 0,
    orderedByReplicationKey: ordered,
    schema: () => plan.schema,
    read: (sync) => (sync.method === 'FULL_TABLE' ? readFullTable(env, plan, sync) : readIncremental(env, plan, sync)),
  };
}
