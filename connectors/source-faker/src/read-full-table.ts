import { getBookmark, setBookmark, setCurrentlySyncing, type RecordData, type SourceMessage } from '@mage-int/core';
import { KEY_PROPERTIES } from './discover.js';
import type { StreamSync } from './read.js';

/** The id after which an interrupted full sync resumes, from `last_pk_fetched: {id}`; 0 when none. */
function resumeAfter(lastPk: unknown): number {
  if (typeof lastPk !== 'object' || lastPk === null) return 0;
  const id = (lastPk as Record<string, unknown>)['id'];
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : 0;
}

/**
 * FULL_TABLE: every record in id order, in batches, each followed by a STATE whose `last_pk_fetched`
 * lets an interrupted sync continue after the last committed id with the same table version. The
 * version is announced with ACTIVATE_VERSION at the end, so a destination can drop rows of older versions.
 */
export async function* readFullTable(sync: StreamSync): AsyncGenerator<SourceMessage> {
  const { generator, entry, settings, ctx, current, project, schema } = sync;
  const stream = entry.stream;
  const id = entry.tap_stream_id;
  const bookmark = getBookmark(current.state, id);
  const after = typeof bookmark.version === 'number' ? resumeAfter(bookmark.last_pk_fetched) : 0;
  const resuming = after > 0;
  // A new version must sort after the previous one even if the clock went backwards.
  const version = resuming ? (bookmark.version as number) : Math.max(Date.now(), (bookmark.version ?? 0) + 1);
  const firstSync = bookmark.version === undefined;

  current.state = setCurrentlySyncing(
    setBookmark(current.state, id, { version, last_pk_fetched: resuming ? { id: after } : undefined, replication_key: undefined, replication_key_value: undefined }),
    id,
  );
  if (resuming) ctx.logger.info(`resuming the full sync of ${stream} after id ${after}`);

  yield { type: 'SCHEMA', stream, schema, key_properties: KEY_PROPERTIES };
  // On a first sync the (empty) version is activated at once, so readers see the table fill up.
  if (firstSync) yield { type: 'ACTIVATE_VERSION', stream, version };

  const count = settings.counts[generator.name];
  for (let start = after + 1; start <= count; start += settings.batchSize) {
    ctx.signal.throwIfAborted();
    const end = Math.min(count, start + settings.batchSize - 1);
    const records: RecordData[] = new Array(end - start + 1);
    for (let n = start; n <= end; n++) records[n - start] = project(generator.record(n));
    yield { type: 'RECORD_BATCH', stream, records, version };
    current.state = setBookmark(current.state, id, { last_pk_fetched: { id: end } });
    yield { type: 'STATE', value: current.state };
  }

  yield { type: 'ACTIVATE_VERSION', stream, version };
  current.state = setCurrentlySyncing(setBookmark(current.state, id, { last_pk_fetched: undefined }), null);
  yield { type: 'STATE', value: current.state };
}
