import { ConfigError, type RecordData, type StreamBatch, type StreamSync } from '@mage-int/core';
import type { FakerSettings } from './settings.js';
import { isoTimestamp, type FakerStream } from './streams/faker-stream.js';

/** Where the sync starts in epoch ms (the kit's `start`: the bookmark), or -Infinity for everything. */
function startMs(sync: StreamSync, key: string): number {
  const value = sync.start;
  if (value === undefined || value === null) return Number.NEGATIVE_INFINITY;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ConfigError('BOOKMARK_INVALID', `the saved ${key} bookmark ${JSON.stringify(value)} is not an ISO-8601 timestamp`, {
      stream: sync.tapStreamId,
      field: key,
      hint: 'fix the state, or clear it (`mage-int state clear`) to sync from the start',
    });
  }
  return ms;
}

/**
 * INCREMENTAL on `updated_at` (or `created_at`): the records whose key is at or after the bookmark.
 *
 * Records are generated in id order, which is not `updated_at` order, so each batch carries a watermark for the
 * kit to checkpoint instead of the largest value seen: once ids ≤ n are generated, every record not yet seen has
 * `created_at` (hence `updated_at`) ≥ first + n·interval, and every record below that has been emitted. Resuming
 * from a watermark may repeat a few records (upserts absorb them) but never skips one. At the end the kit saves
 * the largest value emitted.
 */
export async function* incrementalBatches(generator: FakerStream, settings: FakerSettings, sync: StreamSync): AsyncGenerator<StreamBatch> {
  const key = sync.replicationKey === 'created_at' ? 'created_at' : 'updated_at';
  const from = startMs(sync, key);
  const interval = generator.intervalMs;
  const lag = key === 'created_at' ? 0 : generator.maxUpdateLagMs;
  // Record n has key < first + n·interval + lag, so ids up to `skip` all lie before the bookmark.
  const skip = Math.max(0, Math.floor((from - lag - generator.firstMs) / interval));
  const count = settings.counts[generator.name];
  let largest = from;
  for (let start = Math.min(skip, count) + 1; start <= count; start += settings.batchSize) {
    const end = Math.min(count, start + settings.batchSize - 1);
    const records: RecordData[] = [];
    for (let n = start; n <= end; n++) {
      const record = generator.record(n);
      const value = key === 'updated_at' ? generator.lastUpdatedMs : generator.lastCreatedMs;
      if (value < from) continue;
      records.push(record);
      if (value > largest) largest = value;
    }
    if (records.length === 0) continue;
    const watermark = Math.max(from, Math.min(largest, generator.firstMs + end * interval));
    yield { records, bookmark: { replication_key_value: isoTimestamp(watermark) } };
  }
}
