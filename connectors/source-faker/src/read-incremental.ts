import { ConfigError, getBookmark, setBookmark, setCurrentlySyncing, type RecordData, type SourceMessage } from '@mage-int/core';
import { KEY_PROPERTIES } from './discover.js';
import type { StreamSync } from './read.js';
import { isoTimestamp } from './streams/faker-stream.js';

/** The bookmark in epoch ms, or -Infinity when the stream has none for this replication key. */
function bookmarkMs(sync: StreamSync, key: string): number {
  const bookmark = getBookmark(sync.current.state, sync.entry.tap_stream_id);
  if (bookmark.replication_key !== key || bookmark.replication_key_value === undefined || bookmark.replication_key_value === null) {
    return Number.NEGATIVE_INFINITY;
  }
  const value = bookmark.replication_key_value;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ConfigError('BOOKMARK_INVALID', `the saved ${key} bookmark ${JSON.stringify(value)} is not an ISO-8601 timestamp`, {
      stream: sync.entry.stream,
      field: key,
      hint: 'fix the state, or clear it (`mage-int state clear`) to sync from the start',
    });
  }
  return ms;
}

/**
 * INCREMENTAL on `updated_at` (or `created_at`): the records whose key is at or after the bookmark.
 *
 * Records are generated in id order, which is not `updated_at` order, so a mid-sync STATE carries a
 * watermark instead of the largest value seen: once ids ≤ n are generated, every record not yet seen has
 * `created_at` (hence `updated_at`) ≥ first + n·interval, and every record below that has been emitted.
 * Resuming from a watermark may repeat a few records (upserts absorb them) but never skips one. The final
 * STATE holds the largest value emitted; nothing changes before it until time moves on (larger counts).
 */
export async function* readIncremental(sync: StreamSync, key: 'updated_at' | 'created_at'): AsyncGenerator<SourceMessage> {
  const { generator, entry, settings, ctx, current, project, schema } = sync;
  const stream = entry.stream;
  const id = entry.tap_stream_id;
  const from = bookmarkMs(sync, key);
  const interval = generator.intervalMs;
  const lag = key === 'created_at' ? 0 : generator.maxUpdateLagMs;
  // Record n has key < first + n·interval + lag, so ids up to `skip` all lie before the bookmark.
  const skip = Math.max(0, Math.floor((from - lag - generator.firstMs) / interval));
  const count = settings.counts[generator.name];

  current.state = setCurrentlySyncing(
    setBookmark(current.state, id, {
      replication_key: key,
      replication_key_value: Number.isFinite(from) ? isoTimestamp(from) : undefined,
      version: undefined,
      last_pk_fetched: undefined,
    }),
    id,
  );
  yield { type: 'SCHEMA', stream, schema, key_properties: KEY_PROPERTIES, bookmark_properties: [key] };

  let largest = from;
  for (let start = Math.min(skip, count) + 1; start <= count; start += settings.batchSize) {
    ctx.signal.throwIfAborted();
    const end = Math.min(count, start + settings.batchSize - 1);
    const records: RecordData[] = [];
    for (let n = start; n <= end; n++) {
      const record = generator.record(n);
      const value = key === 'updated_at' ? generator.lastUpdatedMs : generator.lastCreatedMs;
      if (value < from) continue;
      records.push(project(record));
      if (value > largest) largest = value;
    }
    if (records.length === 0) continue;
    yield { type: 'RECORD_BATCH', stream, records };
    const watermark = Math.max(from, Math.min(largest, generator.firstMs + end * interval));
    current.state = setBookmark(current.state, id, { replication_key_value: isoTimestamp(watermark) });
    yield { type: 'STATE', value: current.state };
  }

  current.state = setCurrentlySyncing(
    setBookmark(current.state, id, Number.isFinite(largest) ? { replication_key_value: isoTimestamp(largest) } : {}),
    null,
  );
  yield { type: 'STATE', value: current.state };
}
