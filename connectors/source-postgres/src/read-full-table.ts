import { pickKeys, startFullTable, type NativeRows, type RecordData, type SourceMessage } from '@mage-int/core';
import type pg from 'pg';
import { ident, literal, qualified } from './connection.js';
import { copyRows, copyTextDecoder } from './copy-rows.js';
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

/** `(a, b) > ('1', '2')`: the keyset condition after `values` on `columns`. */
export function keysetAfter(columns: readonly string[], values: readonly unknown[], plan: TablePlan, inclusive = false): string {
  const byName = new Map(plan.columns.map((c) => [c.name, c]));
  const left = columns.map(ident).join(', ');
  const right = columns.map((c, i) => valueLiteral(values[i], byName.get(c))).join(', ');
  return `(${left}) ${inclusive ? '>=' : '>'} (${right})`;
}

/** One decoder per plan: batches share it (it is compiled on first use). */
const decoders = new WeakMap<TablePlan, (data: Buffer) => RecordData[]>();

/**
 * A batch's COPY text as native rows: the plan's columns, in the SELECT's order, with their declared types, and
 * the decoder that turns the text back into the batch's records.
 */
export function nativeRows(plan: TablePlan, text: Buffer): NativeRows {
  let decode = decoders.get(plan);
  if (!decode) decoders.set(plan, (decode = copyTextDecoder(plan.columns)));
  return {
    format: 'postgresql-copy-text',
    fields: plan.columns.map((c) => c.name),
    types: plan.columns.map((c) => c.declared),
    data: text,
    decode,
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

  const where = lastPk
    ? ` WHERE ${keysetAfter(
        plan.keys,
        plan.keys.map((k) => lastPk[k]),
        plan,
      )}`
    : '';
  const order = plan.keys.length > 0 ? ` ORDER BY ${plan.keys.map(ident).join(', ')}` : '';
  const select = `SELECT ${selectList(plan)} FROM ONLY ${qualified(plan.schemaName, plan.tableName)}${where}${order}`;
  const sql =
    plan.relkind === 'p' || plan.relkind === 'v' || plan.relkind === 'm' || plan.relkind === 'f'
      ? select.replace(' FROM ONLY ', ' FROM ')
      : select;
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
