import type { RecordData } from '../protocol/messages.js';
import type { StreamBookmark } from '../state/state.js';
import { compareBookmarkValues } from './compare-values.js';
import { pickKeys } from './full-table.js';

/**
 * A position in a stream read in (replication key, key columns) order. `value` alone means "from this value on,
 * inclusive" (a new run: rows that arrived later with the bookmarked value are read again, not lost); `value`
 * with `afterKeys` means "strictly after this row" (a run resumed mid-stream, even inside thousands of rows
 * sharing one replication-key value: none is read twice, none skipped).
 */
export interface KeysetPosition {
  replicationKey: string;
  value?: unknown;
  afterKeys?: Record<string, unknown>;
}

/**
 * The position an INCREMENTAL read starts at, from the stream's bookmark. A bookmark of another replication key
 * (the user changed it) starts from scratch; a saved `replication_key_pk` that does not name every key column is
 * ignored (the read restarts at the value, inclusive).
 */
export function startKeyset(bookmark: StreamBookmark, replicationKey: string, keys: readonly string[]): KeysetPosition {
  if (
    bookmark.replication_key !== replicationKey ||
    bookmark.replication_key_value === undefined ||
    bookmark.replication_key_value === null
  ) {
    return { replicationKey };
  }
  const saved = bookmark['replication_key_pk'];
  const afterKeys =
    keys.length > 0 && typeof saved === 'object' && saved !== null && keys.every((k) => (saved as Record<string, unknown>)[k] !== undefined)
      ? (saved as Record<string, unknown>)
      : undefined;
  return { replicationKey, value: bookmark.replication_key_value, ...(afterKeys ? { afterKeys } : {}) };
}

/** The position after `record`, the last row of a batch read in keyset order. */
export function advanceKeyset(position: KeysetPosition, record: RecordData, keys: readonly string[]): KeysetPosition {
  const value = record[position.replicationKey];
  return { replicationKey: position.replicationKey, value, ...(keys.length > 0 ? { afterKeys: pickKeys(record, keys) } : {}) };
}

/** The bookmark fields of a position; `finished` drops the row key, so the next run re-reads the last value. */
export function keysetBookmark(position: KeysetPosition, finished = false): StreamBookmark {
  return {
    replication_key: position.replicationKey,
    replication_key_value: position.value,
    replication_key_pk: finished ? undefined : position.afterKeys,
  };
}

/**
 * Orders a record against a position in (replication key, keys) order: > 0 when the record comes after it.
 * With no `afterKeys`, a record whose value equals the position's counts as after it (inclusive start).
 */
export function compareToKeyset(record: RecordData, position: KeysetPosition, keys: readonly string[]): number {
  if (position.value === undefined || position.value === null) return 1;
  const byValue = compareBookmarkValues(record[position.replicationKey], position.value);
  if (byValue !== 0 || !position.afterKeys) return byValue === 0 ? 1 : byValue;
  for (const key of keys) {
    const byKey = compareBookmarkValues(record[key], position.afterKeys[key]);
    if (byKey !== 0) return byKey;
  }
  return 0;
}

/** True when `record` lies after `position`: the filter for a source that cannot ask its system for it. */
export function isAfterKeyset(record: RecordData, position: KeysetPosition, keys: readonly string[]): boolean {
  return compareToKeyset(record, position, keys) > 0;
}

/**
 * SQL for the rows after (`>`) or before (`<`) `values` in `chain` order, spelled out for engines without row-value
 * comparison (and so an optimizer uses an index on the columns): `((a > 1) OR (a = 1 AND b > 2))`; with `inclusive`,
 * the row equal to `values` too (a key range's lower bound). `column` quotes a column, `literal` writes a value as a
 * literal of its column.
 */
export function keysetCompareSql<C>(
  chain: readonly C[],
  values: readonly unknown[],
  column: (c: C) => string,
  literal: (c: C, value: unknown) => string,
  op: '>' | '<' = '>',
  inclusive = false,
): string {
  const equal = (n: number) => chain.slice(0, n).map((c, j) => `${column(c)} = ${literal(c, values[j])}`);
  const terms = chain.map((c, i) => `(${[...equal(i), `${column(c)} ${op} ${literal(c, values[i])}`].join(' AND ')})`);
  if (inclusive) terms.push(`(${equal(chain.length).join(' AND ')})`);
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

/** How an engine's SQL names a column and writes a value of it, for the keyset SELECTs below. */
export interface KeysetSql<C> {
  /** The SELECT's source: a table, or a parenthesised query with an alias. */
  from: string;
  /** The select list. */
  columns: string;
  column: (c: C) => string;
  literal: (c: C, value: unknown) => string;
  /** A key column's ORDER BY term in a FULL_TABLE read (default: the column; e.g. `… NULLS FIRST`). */
  keyOrder?: (c: C) => string;
}

/**
 * A FULL_TABLE read in key order, after `resumeAfter` (the last committed key's values, in `keys` order) when given,
 * so the kit can save and resume from the last committed key; without `keys` (no key, or one the engine does not
 * order as the kit compares) all rows, unordered.
 */
export function fullTableSelectSql<C>(sql: KeysetSql<C>, keys: readonly C[], resumeAfter?: readonly unknown[]): string {
  const select = `SELECT ${sql.columns} FROM ${sql.from}`;
  if (keys.length === 0) return select;
  const where = resumeAfter ? ` WHERE ${keysetCompareSql(keys, resumeAfter, sql.column, sql.literal)}` : '';
  return `${select}${where} ORDER BY ${keys.map(sql.keyOrder ?? sql.column).join(', ')}`;
}

/**
 * An INCREMENTAL read from the kit's `position`: rows with a replication key, strictly after the position's row in
 * (replication key, keys) order when it names one and `ordered` (the engine orders these columns as the kit
 * compares), else from its value on, inclusive; in that order when `ordered`.
 */
export function incrementalSelectSql<C>(
  sql: KeysetSql<C>,
  replicationKey: C,
  keys: readonly C[],
  position: KeysetPosition,
  ordered: boolean,
  keyName: (c: C) => string,
): string {
  let where = `${sql.column(replicationKey)} IS NOT NULL`;
  if (position.value !== undefined && position.value !== null) {
    const afterKeys = position.afterKeys;
    where =
      afterKeys && keys.length > 0 && ordered
        ? keysetCompareSql([replicationKey, ...keys], [position.value, ...keys.map((k) => afterKeys[keyName(k)])], sql.column, sql.literal)
        : `${sql.column(replicationKey)} >= ${sql.literal(replicationKey, position.value)}`;
  }
  const order = ordered ? ` ORDER BY ${[replicationKey, ...keys].map(sql.column).join(', ')}` : '';
  return `SELECT ${sql.columns} FROM ${sql.from} WHERE ${where}${order}`;
}
