import type { RecordData } from '../protocol/messages.js';
import type { StreamBookmark } from '../state/state.js';

/** Where a FULL_TABLE sync of one stream starts. */
export interface FullTableStart {
  /** The table version every batch is stamped with and ACTIVATE_VERSION announces. */
  version: number;
  /** Key values of the last row a destination committed: read strictly after them. Absent when starting over. */
  resumeAfter?: Record<string, unknown>;
  /** No version was ever announced for this stream (the first sync activates its version at once). */
  firstSync: boolean;
}

/**
 * Decides how a FULL_TABLE sync starts from the stream's bookmark: it resumes after `last_pk_fetched` under the
 * same version when the bookmark names a value for every key column (a changed key, or a table without one,
 * starts over), else it takes a new version that sorts after the previous one even if the clock went back.
 */
export function startFullTable(bookmark: StreamBookmark, keys: readonly string[], now: number = Date.now()): FullTableStart {
  const lastPk = bookmark.last_pk_fetched;
  const firstSync = bookmark.version === undefined;
  const resumable =
    keys.length > 0 &&
    typeof bookmark.version === 'number' &&
    typeof lastPk === 'object' &&
    lastPk !== null &&
    keys.every((k) => lastPk[k] !== undefined && lastPk[k] !== null);
  if (resumable) return { version: bookmark.version as number, resumeAfter: lastPk, firstSync };
  const previous = typeof bookmark.version === 'number' ? bookmark.version : 0;
  return { version: Math.max(now, previous + 1), firstSync };
}

/** The values of `keys` in a record: the `last_pk_fetched` (or `replication_key_pk`) after it. */
export function pickKeys(record: RecordData, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = record[key];
  return out;
}
