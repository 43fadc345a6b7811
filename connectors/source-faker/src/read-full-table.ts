import type { RecordData, StreamSync } from '@mage-int/core';
import type { FakerSettings } from './settings.js';
import type { FakerStream } from './streams/faker-stream.js';

/** The id after which an interrupted full sync resumes (the kit hands back `last_pk_fetched`); 0 when none. */
function resumeAfter(lastPk: Record<string, unknown> | undefined): number {
  const id = lastPk?.['id'];
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : 0;
}

/**
 * FULL_TABLE: every record in id order, `batch_size` at a time. The kit stamps the version, checkpoints
 * `last_pk_fetched` after each batch and resumes an interrupted sync after it (the stream is ordered by key).
 */
export async function* fullTableBatches(generator: FakerStream, settings: FakerSettings, sync: StreamSync): AsyncGenerator<RecordData[]> {
  const after = resumeAfter(sync.resumeAfter);
  const count = settings.counts[generator.name];
  for (let start = after + 1; start <= count; start += settings.batchSize) {
    const end = Math.min(count, start + settings.batchSize - 1);
    const records: RecordData[] = new Array(end - start + 1);
    for (let n = start; n <= end; n++) records[n - start] = generator.record(n);
    yield records;
  }
}
