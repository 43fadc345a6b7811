import {
  finishKeyRanges,
  keyRangeDone,
  pickKeys,
  startFullTable,
  startKeyRange,
  type KeyRangeTask,
  type NativeRows,
  type RecordData,
  type SourceMessage,
} from '@mage-int/core';
import type pg from 'pg';
import { ident, literal, qualified } from './connection.js';
import { copyRows, copyTextCodec } from './copy-rows.js';
import type { StateTracker } from './state-tracker.js';
import { selectList, type PlanColumn, type TablePlan } from './table-plan.js';
import { toPostgresText } from './text-values.js';

/** What every reader of one stream needs. */
export interface ReadEnv {
  client: pg.Client;
  tracker: StateTracker;
  batchSize: number;
  signal: AbortSignal;
}

/** An SQL literal for a value read earlier from `column` (bookmarks, resumed keys). */
export function valueLiteral(value: unknown, column: PlanColumn | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  let text = toPostgresText(value);
  if (column?.declared === 'bytea') text = `\\x${text}`;
  return literal(text);
}

/** `(a, b) > ('1', '2')`: the keyset condition after `values` on `columns` (`>=` when inclusive, or `op`). */
export function keysetAfter(
  columns: readonly string[],
  values: readonly unknown[],
  plan: TablePlan,
  inclusive = false,
  op: '>' | '>=' | '<' = inclusive ? '>=' : '>',
): string {
  const byName = new Map(plan.columns.map((c) => [c.name, c]));
  const left = columns.map(ident).join(', ');
  const right = columns.map((c, i) => valueLiteral(values[i], byName.get(c))).join(', ');
  return `(${left}) ${op} (${right})`;
}

/** The plan's rows matching `conditions`, in key order: the COPY query of a full-table read. */
function fullTableSelect(plan: TablePlan, conditions: readonly string[]): string {
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const order = plan.keys.length > 0 ? ` ORDER BY ${plan.keys.map(ident).join(', ')}` : '';
  const select = `SELECT ${selectList(plan)} FROM ONLY ${qualified(plan.schemaName, plan.tableName)}${where}${order}`;
  return plan.relkind === 'p' || plan.relkind === 'v' || plan.relkind === 'm' || plan.relkind === 'f'
    ? select.replace(' FROM ONLY ', ' FROM ')
    : select;
}

/** The key columns' values of `keys` in the plan's key order. */
const keyValues = (plan: TablePlan, keys: Record<string, unknown>) => plan.keys.map((k) => keys[k]);

/** The fields of a plan's columns that are never NULL (NOT NULL columns), by plan. */
const filled = new WeakMap<TablePlan, string[]>();

/**
 * A batch's COPY text as native rows: the plan's columns, in the SELECT's order, with their declared types, the
 * decoder that turns the text back into the batch's records and the transcoder that writes their JSON.
 */
export function nativeRows(plan: TablePlan, text: Buffer): NativeRows {
  const codec = copyTextCodec(plan.columns);
  let filledFields = filled.get(plan);
  if (!filledFields) filled.set(plan, (filledFields = plan.columns.filter((c) => c.notNull).map((c) => c.name)));
  return {
    format: 'postgresql-copy-text',
    fields: plan.columns.map((c) => c.name),
    types: plan.columns.map((c) => c.declared),
    data: text,
    decode: codec.decode,
    filledFields,
    jsonLines: codec.jsonLines,
    jsonBytes: codec.jsonBytes,
  };
}

export { pickKeys };

export interface FullTableOptions {
  /** Fields added to every record (LOG_BASED snapshots add _sdc_lsn/_sdc_deleted_at). */
  decorate?: (record: RecordData) => void;
  /** Bookmark keys to set when the copy completes (LOG_BASED: the slot position). */
  onComplete?: Record<string, unknown>;
}

/**
 * FULL_TABLE: copies the table with COPY, ordered by primary key so an interrupted sync resumes after
 * `last_pk_fetched` under the same version; ends with ACTIVATE_VERSION so destinations drop rows gone
 * from the source. Tables without a key are copied unordered and restart from scratch.
 */
export async function* readFullTable(env: ReadEnv, plan: TablePlan, options: FullTableOptions = {}): AsyncGenerator<SourceMessage> {
  const id = plan.tapStreamId;
  // The kit decides: resume after last_pk_fetched when it still names every key column, else a new version.
  const { version, resumeAfter: lastPk } = startFullTable(env.tracker.bookmark(id), plan.keys);
  env.tracker.set(id, { version, last_pk_fetched: lastPk });

  yield { type: 'SCHEMA', stream: plan.stream, schema: plan.schema, key_properties: plan.keys };
  yield env.tracker.message();

  const sql = fullTableSelect(plan, lastPk ? [keysetAfter(plan.keys, keyValues(plan, lastPk), plan)] : []);
  for await (const { records, text } of copyRows(env.client, sql, plan.columns, env.batchSize, env.signal)) {
    if (options.decorate) for (const record of records) options.decorate(record);
    // Decorated records carry fields the COPY text does not: no native rows for them.
    yield { type: 'RECORD_BATCH', stream: plan.stream, records, version, ...(options.decorate ? {} : { native: nativeRows(plan, text) }) };
    if (plan.keys.length > 0) {
      env.tracker.set(id, { last_pk_fetched: pickKeys(records[records.length - 1]!, plan.keys) });
      yield env.tracker.message();
    }
  }
  yield { type: 'ACTIVATE_VERSION', stream: plan.stream, version };
  env.tracker.set(id, { last_pk_fetched: undefined, version, ...options.onComplete });
  yield env.tracker.message();
}

/**
 * One key range of a FULL_TABLE stream split over workers (`ctx.keyRange`): the rows from its lower bound
 * (inclusive) to its upper (exclusive) in key order, stamped with the split's version, after the range's
 * `last_pk_fetched` when a killed attempt committed some. Its bookmark is the range's own; no ACTIVATE_VERSION
 * (the finalize step announces the version once every range is in).
 */
export async function* readKeyRange(env: ReadEnv, plan: TablePlan, task: KeyRangeTask): AsyncGenerator<SourceMessage> {
  const start = startKeyRange(env.tracker.state, task, plan.keys);
  yield { type: 'SCHEMA', stream: plan.stream, schema: plan.schema, key_properties: plan.keys };
  if (start.done) {
    yield env.tracker.message();
    return;
  }
  const { from, to } = start.range;
  const conditions = [
    ...(from ? [keysetAfter(plan.keys, keyValues(plan, from), plan, true)] : []),
    ...(to ? [keysetAfter(plan.keys, keyValues(plan, to), plan, false, '<')] : []),
    ...(start.resumeAfter ? [keysetAfter(plan.keys, keyValues(plan, start.resumeAfter), plan)] : []),
  ];
  const { version, stateKey } = start;
  for await (const { records, text } of copyRows(env.client, fullTableSelect(plan, conditions), plan.columns, env.batchSize, env.signal)) {
    yield { type: 'RECORD_BATCH', stream: plan.stream, records, version, native: nativeRows(plan, text) };
    env.tracker.set(stateKey, { last_pk_fetched: pickKeys(records[records.length - 1]!, plan.keys) });
    yield env.tracker.message();
  }
  env.tracker.set(stateKey, keyRangeDone());
  yield env.tracker.message();
}

/** After every range of a split stream: its version is activated and its bookmark left as a whole-table sync leaves it. */
export async function* finalizeKeyRanges(env: ReadEnv, plan: TablePlan, task: KeyRangeTask): AsyncGenerator<SourceMessage> {
  const { version, state } = finishKeyRanges(env.tracker.state, task);
  yield { type: 'SCHEMA', stream: plan.stream, schema: plan.schema, key_properties: plan.keys };
  yield { type: 'ACTIVATE_VERSION', stream: plan.stream, version };
  env.tracker.state = state;
  yield env.tracker.message();
}
