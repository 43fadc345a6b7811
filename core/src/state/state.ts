/** Bookmark of one stream. Method-specific keys sit beside the standard ones. */
export interface StreamBookmark {
  replication_key?: string;
  replication_key_value?: unknown;
  version?: number;
  /** Resumable FULL_TABLE: the key of the last row the destination committed. */
  last_pk_fetched?: Record<string, unknown>;
  /** LOG_BASED PostgreSQL. */
  lsn?: string;
  /** LOG_BASED MySQL/MariaDB. */
  binlog_file?: string;
  binlog_pos?: number;
  gtid?: string;
  [key: string]: unknown;
}

/** Singer state as mage-int sources write it. */
export interface State {
  bookmarks: Record<string, StreamBookmark>;
  currently_syncing?: string | null;
  [key: string]: unknown;
}

export function emptyState(): State {
  return { bookmarks: {} };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Accepts any STATE value: mage-int's shape, Meltano's `{singer_state: …}` wrapper, or a foreign
 * tap's free-form object (kept as is, with an empty `bookmarks` beside it).
 */
export function toState(value: unknown): State {
  if (!isObject(value)) return emptyState();
  const inner = isObject(value['singer_state']) ? value['singer_state'] : value;
  const bookmarks = isObject(inner['bookmarks']) ? (inner['bookmarks'] as Record<string, StreamBookmark>) : {};
  return { ...inner, bookmarks };
}

/** The bookmark of one stream (empty when none). */
export function getBookmark(state: State, tapStreamId: string): StreamBookmark {
  return state.bookmarks[tapStreamId] ?? {};
}

/** A new state with `patch` merged into one stream's bookmark. Keys set to undefined are removed. */
export function setBookmark(state: State, tapStreamId: string, patch: StreamBookmark): State {
  const merged: StreamBookmark = { ...state.bookmarks[tapStreamId], ...patch };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return { ...state, bookmarks: { ...state.bookmarks, [tapStreamId]: merged } };
}

/** A new state without the bookmarks of the given streams (all streams when none are named). */
export function clearBookmarks(state: State, tapStreamIds?: readonly string[]): State {
  if (!tapStreamIds) return { ...state, bookmarks: {}, currently_syncing: null };
  const bookmarks = { ...state.bookmarks };
  for (const id of tapStreamIds) delete bookmarks[id];
  return { ...state, bookmarks };
}

/** A new state with `currently_syncing` set (null when a sync finished). */
export function setCurrentlySyncing(state: State, tapStreamId: string | null): State {
  return { ...state, currently_syncing: tapStreamId };
}
