import { compareBookmarkValues, parseInstant } from './compare-values.js';

/**
 * Moves a replication-key value `lookback` back: an ISO timestamp by that many seconds (the result in ISO form,
 * UTC), a number by that much in its own unit (an epoch-seconds key: seconds). Other values stay as they are.
 * APIs whose records change after their timestamp is written (late updates, eventual consistency) re-read the
 * window; destinations upsert the repeated records by key.
 */
export function lookBack(value: unknown, lookback: number): unknown {
  if (!(lookback > 0) || value === undefined || value === null) return value;
  if (typeof value === 'number') return value - lookback;
  if (typeof value === 'bigint') return value - BigInt(Math.round(lookback));
  if (typeof value === 'string') {
    const instant = parseInstant(value);
    if (instant) return new Date(instant[0] - lookback * 1000).toISOString();
  }
  return value;
}

/** Where an incremental read asks its system to start, and the largest replication-key value it has seen since. */
export class IncrementalCursor {
  /** The value to read from (inclusive): the bookmark moved back by the lookback window, else the start value. */
  readonly start: unknown;
  private largest: unknown;

  /**
   * @param bookmark the saved replication_key_value (undefined on a first sync)
   * @param startValue where a first sync starts (a `start_date`), if anywhere
   * @param lookback how far to re-read behind the bookmark (seconds for timestamps)
   */
  constructor(bookmark: unknown, startValue?: unknown, lookback = 0) {
    const hasBookmark = bookmark !== undefined && bookmark !== null;
    this.start = hasBookmark ? lookBack(bookmark, lookback) : startValue;
    // The bookmark never moves back, even when the lookback window holds only older records.
    this.largest = hasBookmark ? bookmark : undefined;
  }

  /** Notes a record's replication-key value. */
  observe(value: unknown): void {
    if (value === undefined || value === null) return;
    if (this.largest === undefined || compareBookmarkValues(value, this.largest) > 0) this.largest = value;
  }

  /** The bookmark to save once every observed record is committed. */
  get value(): unknown {
    return this.largest;
  }
}
