import {
  advanceKeyset,
  ConnectorError,
  Decimal,
  keysetBookmark,
  startKeyset,
  type KeysetPosition,
  type SourceMessage,
} from '@mage-int/core';
import { ident, qualified } from './connection.js';
import { copyRows, type CopyBatch } from './copy-rows.js';
import { keysetAfter, nativeRows, valueLiteral, type ReadEnv } from './read-full-table.js';
import { selectList, type PlanColumn, type TablePlan } from './table-plan.js';

/** smallint, integer and bigint by type OID, with their ranges. */
const INTEGER_RANGES = new Map<number, readonly [bigint, bigint]>([
  [21, [-(2n ** 15n), 2n ** 15n - 1n]],
  [23, [-(2n ** 31n), 2n ** 31n - 1n]],
  [20, [-(2n ** 63n), 2n ** 63n - 1n]],
]);

/**
 * Where a bookmark lies against the range of an integer replication key: 1 above every value the column can
 * hold, -1 below, 0 inside (or not an integer column). PostgreSQL refuses a literal out of the column type's
 * range ("out of range for type integer"), so such a bookmark (a hand-set state, a column narrowed since)
 * is answered here instead: nothing can be newer, or everything is.
 */
function integerRangeSide(value: unknown, column: PlanColumn): -1 | 0 | 1 {
  const range = INTEGER_RANGES.get(column.typeOid);
  if (!range) return 0;
  let whole: bigint;
  if (typeof value === 'bigint') whole = value;
  else if (typeof value === 'number' && Number.isFinite(value)) whole = BigInt(Math.trunc(value));
  else {
    const text = value instanceof Decimal ? value.text : typeof value === 'string' ? value.trim() : '';
    const match = /^([-+]?\d+)(?:\.\d*)?$/.exec(text);
    if (!match) return 0;
    whole = BigInt(match[1]!);
  }
  return whole > range[1] ? 1 : whole < range[0] ? -1 : 0;
}

/**
 * INCREMENTAL: keyset pagination on (replication_key, primary key), `batch_size` rows a page, never OFFSET.
 * After each page the bookmark holds the replication key value and the key of the last row
 * (`replication_key_pk`), so a run stopped mid-stream resumes exactly after that row even when thousands of
 * rows share one replication key value. A finished run drops `replication_key_pk`; the next run starts at
 * `replication_key >= value`, re-reading the rows of the last value, so rows that arrive later with that
 * same value are not missed (key-based upserts make the re-read harmless).
 */
export async function* readIncremental(env: ReadEnv, plan: TablePlan, replicationKey: string): AsyncGenerator<SourceMessage> {
  const id = plan.tapStreamId;
  const rkColumn = plan.columns.find((c) => c.name === replicationKey);
  if (!rkColumn) {
    throw new ConnectorError(
      'REPLICATION_KEY_MISSING',
      `replication key "${replicationKey}" is not a column of ${qualified(plan.schemaName, plan.tableName)}`,
      {
        stream: id,
        field: replicationKey,
        hint: "choose one of the stream's valid-replication-keys",
      },
    );
  }
  const bookmark = env.tracker.bookmark(id);
  const pageable = plan.keys.length > 0;
  // The kit's keyset position: the bookmarked value (inclusive), or exactly after the last committed row.
  let position: KeysetPosition = startKeyset(bookmark, replicationKey, plan.keys);
  if (bookmark.replication_key !== replicationKey) env.tracker.set(id, keysetBookmark(position));

  yield { type: 'SCHEMA', stream: plan.stream, schema: plan.schema, key_properties: plan.keys, bookmark_properties: [replicationKey] };
  yield env.tracker.message();

  const table = qualified(plan.schemaName, plan.tableName);
  const keysetColumns = [replicationKey, ...plan.keys.filter((k) => k !== replicationKey)];
  const from = plan.relkind === 'r' ? `ONLY ${table}` : table;

  const condition = (): string => {
    const { value, afterKeys } = position;
    if (value === undefined || value === null) return `${ident(replicationKey)} IS NOT NULL`;
    const side = integerRangeSide(value, rkColumn);
    if (side > 0) return 'false';
    if (side < 0) return `${ident(replicationKey)} IS NOT NULL`;
    if (pageable && afterKeys)
      return keysetAfter(
        keysetColumns,
        keysetColumns.map((c) => (c === replicationKey ? value : afterKeys[c])),
        plan,
      );
    return `${ident(replicationKey)} >= ${valueLiteral(value, rkColumn)}`;
  };
  const orderBy = ` ORDER BY ${(pageable ? keysetColumns : [replicationKey]).map(ident).join(', ')}`;

  const emit = function* ({ records, text }: CopyBatch): Generator<SourceMessage> {
    yield { type: 'RECORD_BATCH', stream: plan.stream, records, native: nativeRows(plan, text) };
    position = advanceKeyset(position, records[records.length - 1]!, plan.keys);
    env.tracker.set(id, keysetBookmark(position));
    yield env.tracker.message();
  };

  if (pageable) {
    for (;;) {
      const sql = `SELECT ${selectList(plan)} FROM ${from} WHERE ${condition()}${orderBy} LIMIT ${env.batchSize}`;
      // A page arrives as one batch, or as several when its rows are wide (see BATCH_TEXT_LIMIT).
      let rows = 0;
      for await (const batch of copyRows(env.client, sql, plan.columns, env.batchSize, env.signal)) {
        rows += batch.records.length;
        yield* emit(batch);
      }
      if (rows < env.batchSize) break;
    }
  } else {
    // Without a key a page boundary inside one replication key value cannot be resumed exactly:
    // stream the whole range in one ordered query instead, bookmarking per batch (resume re-reads >= value).
    const sql = `SELECT ${selectList(plan)} FROM ${from} WHERE ${condition()}${orderBy}`;
    for await (const batch of copyRows(env.client, sql, plan.columns, env.batchSize, env.signal)) yield* emit(batch);
  }
  env.tracker.set(id, keysetBookmark(position, true));
  yield env.tracker.message();
}
