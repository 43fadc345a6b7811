import { ConnectorError } from '../errors.js';
import type { State, StreamBookmark } from '../state/state.js';

/**
 * One large FULL_TABLE stream read as several key ranges at once (on different workers), each with its own bookmark.
 * The ranges' bounds come from the source's database (`SourceOperations.keyRanges`); the run's planner stores them in
 * the state, one bookmark per range, so a job names only the stream and the range's number (no key values in a queue).
 * Every range stamps the same table version; after the last range a finalize step announces it (ACTIVATE_VERSION) and
 * leaves the stream's bookmark as a whole-table sync would.
 */

/** Key bounds of one range: `from` inclusive, `to` exclusive, on the key columns in order; absent: open-ended. */
export interface KeyRange {
  from?: Record<string, unknown>;
  to?: Record<string, unknown>;
}

/** Which part of a split stream a run task reads (`ConnectorContext.keyRange`). */
export interface KeyRangeTask {
  /** The stream's tap_stream_id. */
  stream: string;
  /** Ranges of the split. */
  count: number;
  /** 1-based: this range; absent with `finalize`. */
  index?: number;
  /** After every range: announce the version, set the stream's bookmark and remove the ranges'. */
  finalize?: boolean;
}

/** The bookmark of one range of a split stream. */
export interface KeyRangeBookmark extends StreamBookmark {
  version: number;
  key_range: KeyRange & { index: number; count: number };
  /** Every row of the range is committed. */
  done?: boolean;
}

/** The state key of a range's bookmark: `public-orders#range-2-of-4`, beside the stream's own. */
export function keyRangeStateKey(stream: string, index: number, count: number): string {
  return `${stream}#range-${index}-of-${count}`;
}

/** The state keys of a stream's ranges present in `state` (of whatever count). */
export function keyRangeKeys(state: State, stream: string): string[] {
  const prefix = `${stream}#range-`;
  return Object.keys(state.bookmarks).filter((key) => key.startsWith(prefix) && /^\d+-of-\d+$/.test(key.slice(prefix.length)));
}

/** The bookmarks a planner stores for a new split of `stream` at `version`, from `ranges` in key order. */
export function keyRangeBookmarks(stream: string, ranges: readonly KeyRange[], version: number): Record<string, KeyRangeBookmark> {
  return Object.fromEntries(
    ranges.map((range, i) => [
      keyRangeStateKey(stream, i + 1, ranges.length),
      { version, key_range: { index: i + 1, count: ranges.length, ...range } },
    ]),
  );
}

/** Splits sorted, distinct boundary keys into ranges: [-, b1), [b1, b2), …, [bn, -). */
export function rangesBetween(boundaries: readonly Record<string, unknown>[]): KeyRange[] {
  const ranges: KeyRange[] = [];
  for (let i = 0; i <= boundaries.length; i++) {
    ranges.push({ ...(i > 0 ? { from: boundaries[i - 1] } : {}), ...(i < boundaries.length ? { to: boundaries[i] } : {}) });
  }
  return ranges;
}

function missingRange(stream: string, key: string): ConnectorError {
  return new ConnectorError('KEY_RANGE_MISSING', `the bookmark of key range ${key} is not in the state`, {
    stream,
    hint: 'the split was planned, then its state was cleared or changed; submit the run again (it plans a new split)',
  });
}

/** Where a range task starts: its bounds, the split's version, and the key to resume after (a retried task). */
export interface KeyRangeStart {
  stateKey: string;
  version: number;
  range: KeyRange;
  resumeAfter?: Record<string, unknown>;
  /** The range was read completely by an earlier attempt: nothing to read. */
  done: boolean;
}

/** The start of a range task from the state the run loaded (the planner stored the range's bookmark). */
export function startKeyRange(state: State, task: KeyRangeTask, keys: readonly string[]): KeyRangeStart {
  const stateKey = keyRangeStateKey(task.stream, task.index ?? 0, task.count);
  const bookmark = state.bookmarks[stateKey] as Partial<KeyRangeBookmark> | undefined;
  if (!bookmark || typeof bookmark.version !== 'number' || !bookmark.key_range) throw missingRange(task.stream, stateKey);
  const lastPk = bookmark.last_pk_fetched;
  const resumable = typeof lastPk === 'object' && lastPk !== null && keys.every((k) => lastPk[k] !== undefined && lastPk[k] !== null);
  const { from, to } = bookmark.key_range;
  return {
    stateKey,
    version: bookmark.version,
    range: { ...(from ? { from } : {}), ...(to ? { to } : {}) },
    ...(resumable ? { resumeAfter: lastPk } : {}),
    done: bookmark.done === true,
  };
}

/** The bookmark patch once a range is read completely. */
export function keyRangeDone(): StreamBookmark {
  return { done: true, last_pk_fetched: undefined };
}

/**
 * The finalize step of a split stream: checks every range is done under one version, and returns that version and
 * the state without the ranges' bookmarks, the stream's set as a completed whole-table sync leaves it.
 */
export function finishKeyRanges(state: State, task: KeyRangeTask): { version: number; state: State } {
  const bookmarks = { ...state.bookmarks };
  let version: number | undefined;
  for (let index = 1; index <= task.count; index++) {
    const key = keyRangeStateKey(task.stream, index, task.count);
    const bookmark = bookmarks[key] as Partial<KeyRangeBookmark> | undefined;
    if (!bookmark || typeof bookmark.version !== 'number') throw missingRange(task.stream, key);
    if (bookmark.done !== true || (version !== undefined && bookmark.version !== version)) {
      throw new ConnectorError('KEY_RANGE_UNFINISHED', `key range ${key} is not read completely`, {
        stream: task.stream,
        hint: 'every range must finish before the table version is activated; submit the run again to finish the others',
      });
    }
    version = bookmark.version;
    delete bookmarks[key];
  }
  const stream: StreamBookmark = { ...bookmarks[task.stream], version: version! };
  delete stream.last_pk_fetched;
  bookmarks[task.stream] = stream;
  return { version: version!, state: { ...state, bookmarks } };
}
