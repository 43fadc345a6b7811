import { pathToFileURL } from 'node:url';
import {
  keyProperties,
  replicationKey,
  replicationMethod,
  selectedFields,
  selectedStreams,
  type Catalog,
  type CatalogStream,
} from '../catalog/catalog.js';
import type { ConnectorContext } from '../connector/contract.js';
import { ConfigError, ConnectorError } from '../errors.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { RecordData, SourceMessage } from '../protocol/messages.js';
import type { State, StreamBookmark } from '../state/state.js';
import { compareBookmarkValues } from './compare-values.js';
import { pickKeys, startFullTable } from './full-table.js';
import { IncrementalCursor } from './incremental-cursor.js';
import { finishKeyRanges, keyRangeDone, startKeyRange, type KeyRange, type KeyRangeTask } from './key-ranges.js';
import { advanceKeyset, compareToKeyset, keysetBookmark, startKeyset, type KeysetPosition } from './keyset.js';
import {
  partitionKey,
  type SourceStream,
  type StreamBatch,
  type StreamOutput,
  type StreamPartition,
  type StreamSync,
} from './source-stream.js';
import { StateTracker } from './state-tracker.js';

/** Streams in catalog order, except that an interrupted one (`currently_syncing`) goes first, as Singer taps do. */
export function syncOrder(streams: readonly CatalogStream[], currentlySyncing: unknown): CatalogStream[] {
  const index = streams.findIndex((s) => s.tap_stream_id === currentlySyncing);
  if (index <= 0) return [...streams];
  return [streams[index] as CatalogStream, ...streams.slice(0, index), ...streams.slice(index + 1)];
}

/** Where a stream's (or a partition's) bookmark lives in the state. */
interface BookmarkSlot {
  get(): StreamBookmark;
  set(patch: StreamBookmark): void;
}

/** What one stream's sync needs besides the stream. */
interface StreamRun {
  stream: SourceStream;
  entry: CatalogStream;
  method: 'FULL_TABLE' | 'INCREMENTAL';
  replicationKey?: string;
  keys: readonly string[];
  fields: readonly string[];
  project: (records: RecordData[]) => RecordData[];
  tracker: StateTracker;
  ctx: ConnectorContext;
}

function asBatch(output: StreamOutput): StreamBatch {
  return Array.isArray(output) ? { records: output } : output;
}

/** Keeps the selected fields (and the keys and replication key, which are always read). */
function projection(entry: CatalogStream, keep: readonly string[]): (records: RecordData[]) => RecordData[] {
  const all = Object.keys(entry.schema.properties ?? {});
  if (all.length === 0 || all.every((f) => keep.includes(f))) return (records) => records;
  return (records) =>
    records.map((record) => {
      const out: RecordData = {};
      for (const field of keep) if (field in record) out[field] = record[field];
      return out;
    });
}

function defaultSchema(entry: CatalogStream, fields: readonly string[]): JsonSchema {
  const properties = entry.schema.properties ?? {};
  if (Object.keys(properties).every((f) => fields.includes(f))) return entry.schema;
  return { ...entry.schema, properties: Object.fromEntries(fields.map((f) => [f, properties[f] ?? {}])) };
}

function findSourceStream(streams: readonly SourceStream[], entry: CatalogStream): SourceStream {
  const found = streams.find((s) => s.name === entry.tap_stream_id) ?? streams.find((s) => s.name === entry.stream);
  if (!found) {
    throw new ConfigError('STREAM_UNKNOWN', 'the source has no such stream', {
      stream: entry.tap_stream_id,
      hint: `run discovery again; streams: ${streams.map((s) => s.name).join(', ')}`,
    });
  }
  return found;
}

function planRun(stream: SourceStream, entry: CatalogStream, tracker: StateTracker, ctx: ConnectorContext): StreamRun {
  const method = replicationMethod(entry);
  const methods = stream.methods ?? ['FULL_TABLE', 'INCREMENTAL'];
  if (method === 'LOG_BASED' || !methods.includes(method)) {
    throw new ConfigError('REPLICATION_METHOD_UNSUPPORTED', `stream does not support ${method} replication`, {
      stream: entry.tap_stream_id,
      hint: `use ${methods.join(' or ')}`,
    });
  }
  const keys = stream.keyProperties ?? keyProperties(entry);
  let rk: string | undefined;
  if (method === 'INCREMENTAL') {
    rk = replicationKey(entry) ?? stream.replicationKey;
    if (!rk) {
      throw new ConfigError('REPLICATION_KEY_NOT_SET', 'INCREMENTAL replication needs a replication key', {
        stream: entry.tap_stream_id,
        hint: 'set `replication_key` for the stream (one of its valid-replication-keys), or use FULL_TABLE',
      });
    }
    if (stream.validReplicationKeys && !stream.validReplicationKeys.includes(rk)) {
      throw new ConfigError('REPLICATION_KEY_INVALID', `"${rk}" cannot be a replication key`, {
        stream: entry.tap_stream_id,
        field: rk,
        hint: `valid replication keys: ${stream.validReplicationKeys.join(', ')}`,
      });
    }
  }
  const selected = selectedFields(entry);
  const fields = [...new Set([...selected, ...keys, ...(rk ? [rk] : [])])];
  return { stream, entry, method, replicationKey: rk, keys, fields, project: projection(entry, fields), tracker, ctx };
}

/**
 * Reads `streams` for the selected entries of `catalog`, starting from `state`, and owns everything but the records:
 * stream order (`currently_syncing` first, so an interrupted sync resumes where it stopped), SCHEMA, RECORD_BATCH,
 * a STATE with the full bookmarks after every batch, FULL_TABLE versions with ACTIVATE_VERSION (resumable by key),
 * INCREMENTAL bookmarks (keyset order with a tie-breaker, or the largest value seen, with a lookback window), and
 * per-partition bookmarks for partitioned streams (read `concurrency` at a time). A stream only yields records.
 */
export async function* readStreams(
  streams: readonly SourceStream[],
  catalog: Catalog,
  state: State,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const tracker = new StateTracker(state);
  const entries = syncOrder(selectedStreams(catalog), state.currently_syncing);
  // Every selected stream is checked before the first is read, so a bad catalog fails before any data moves.
  const runs = entries.map((entry) => planRun(findSourceStream(streams, entry), entry, tracker, ctx));
  for (const run of runs) {
    ctx.signal.throwIfAborted();
    tracker.syncing(run.entry.tap_stream_id);
    ctx.logger.debug(`syncing ${run.entry.tap_stream_id} (${run.method})`);
    // Each stream ends with a STATE whose currently_syncing is null.
    yield* run.method === 'FULL_TABLE' ? syncFullTable(run) : syncIncremental(run);
  }
  if (runs.length === 0) yield tracker.message();
}

function baseSync(run: StreamRun, bookmark: StreamBookmark): StreamSync {
  return {
    entry: run.entry,
    tapStreamId: run.entry.tap_stream_id,
    method: run.method,
    ...(run.replicationKey ? { replicationKey: run.replicationKey } : {}),
    keyProperties: run.keys,
    fields: run.fields,
    bookmark,
    signal: run.ctx.signal,
    logger: run.ctx.logger,
  };
}

function schemaMessage(run: StreamRun): SourceMessage {
  const schema = run.stream.schema ? run.stream.schema(run.entry, run.fields) : defaultSchema(run.entry, run.fields);
  return {
    type: 'SCHEMA',
    stream: run.entry.stream,
    schema,
    key_properties: [...run.keys],
    ...(run.replicationKey ? { bookmark_properties: [run.replicationKey] } : {}),
  };
}

/** The partitions of a partitioned stream (with their bookmark slots), or the stream itself as one. */
async function* slots(run: StreamRun, sync: StreamSync): AsyncGenerator<{ slot: BookmarkSlot; partition?: StreamPartition }> {
  const id = run.entry.tap_stream_id;
  if (!run.stream.partitions) {
    yield { slot: { get: () => run.tracker.bookmark(id), set: (patch) => run.tracker.set(id, patch) } };
    return;
  }
  const seen = new Set<string>();
  for await (const partition of run.stream.partitions(sync)) {
    const key = partitionKey(partition);
    if (seen.has(key)) continue;
    seen.add(key);
    yield { partition, slot: { get: () => run.tracker.partition(id, key), set: (patch) => run.tracker.setPartition(id, key, patch) } };
  }
}

/**
 * Runs `readOne` for every partition (the unpartitioned stream counts as one), `stream.concurrency` at a time,
 * passing their messages on as they come. A partition is asked for its next message only after its previous one
 * was passed on, so the bookmark updates behind a STATE are those of records already emitted. A partition that
 * says its requests are done (`requestsDone`) stops counting against `concurrency` — the next one starts while its
 * last messages are passed on — yet no more than twice `concurrency` partitions are open at once, so memory stays
 * bounded when the consumer is slower than the API.
 */
async function* eachPartition(
  run: StreamRun,
  sync: StreamSync,
  readOne: (slot: BookmarkSlot, partition: StreamPartition | undefined, requestsDone?: () => void) => AsyncGenerator<SourceMessage>,
): AsyncGenerator<SourceMessage> {
  const limit = Math.max(1, Math.floor(run.stream.concurrency ?? 1));
  const feed = slots(run, sync);
  if (limit === 1) {
    for await (const { slot, partition } of feed) yield* readOne(slot, partition);
    return;
  }
  type Step = { key: number; result: IteratorResult<SourceMessage> };
  const running = new Map<number, { reader: AsyncGenerator<SourceMessage>; next: Promise<Step> }>();
  // The open partitions still sending requests (those count against `limit`).
  const requesting = new Set<number>();
  const pull = (key: number, reader: AsyncGenerator<SourceMessage>): Promise<Step> => {
    const next = reader.next().then((result) => ({ key, result }));
    next.catch(() => {}); // observed by the race below, or abandoned after another partition failed
    return next;
  };
  // Resolved when a partition's requests are done, so the loop below starts the next one without waiting for a message.
  let wake = () => {};
  const nextWake = () =>
    new Promise<'wake'>((resolve) => {
      wake = () => resolve('wake');
    });
  let woken = nextWake();
  let keys = 0;
  let fed = false;
  const fill = async () => {
    while (!fed && requesting.size < limit && running.size < 2 * limit) {
      const item = await feed.next();
      if (item.done) fed = true;
      else {
        const key = keys++;
        const reader = readOne(item.value.slot, item.value.partition, () => {
          if (requesting.delete(key)) wake();
        });
        requesting.add(key);
        running.set(key, { reader, next: pull(key, reader) });
      }
    }
  };
  try {
    await fill();
    while (running.size > 0) {
      const step = await Promise.race([woken, ...[...running.values()].map((r) => r.next)]);
      if (step === 'wake') {
        woken = nextWake();
        await fill();
        continue;
      }
      const { key, result } = step;
      const entry = running.get(key) as { reader: AsyncGenerator<SourceMessage>; next: Promise<Step> };
      if (result.done) {
        running.delete(key);
        requesting.delete(key);
        await fill();
        continue;
      }
      yield result.value;
      entry.next = pull(key, entry.reader);
    }
  } finally {
    await Promise.allSettled([...running.values()].map((r) => r.reader.return(undefined)));
    await feed.return(undefined);
  }
}

async function* syncFullTable(run: StreamRun): AsyncGenerator<SourceMessage> {
  const { entry, tracker, keys } = run;
  const id = entry.tap_stream_id;
  const partitioned = run.stream.partitions !== undefined;
  const resumable = run.stream.orderedByKey === true && !partitioned;
  const range = run.ctx.keyRange?.stream === id ? run.ctx.keyRange : undefined;
  if (range) {
    if (!resumable || keys.length === 0)
      throw new ConnectorError('KEY_RANGE_UNSUPPORTED', `stream ${id} is not read in key order, so it cannot be split into key ranges`, {
        stream: id,
        hint: 'remove key_ranges for this stream',
      });
    yield* range.finalize ? finalizeRanges(run, range) : syncKeyRange(run, range);
    return;
  }
  const start = startFullTable(tracker.bookmark(id), resumable ? keys : []);
  const { version } = start;
  tracker.set(id, {
    version,
    last_pk_fetched: start.resumeAfter,
    replication_key: undefined,
    replication_key_value: undefined,
    replication_key_pk: undefined,
    partitions: undefined,
  });
  if (start.resumeAfter) {
    const after = Object.entries(start.resumeAfter).map(
      ([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    );
    run.ctx.logger.info(`resuming the full sync of ${id} after ${after.join(', ')}`);
  }

  yield schemaMessage(run);
  // On a first sync the (empty) version is activated at once, so readers see the table fill up.
  if (start.firstSync) yield { type: 'ACTIVATE_VERSION', stream: entry.stream, version };

  const sync = baseSync(run, tracker.bookmark(id));
  yield* eachPartition(run, sync, async function* (_slot, partition, requestsDone) {
    const partSync: StreamSync = {
      ...sync,
      ...(start.resumeAfter ? { resumeAfter: start.resumeAfter } : {}),
      ...(partition ? { partition } : {}),
      ...(requestsDone ? { requestsDone } : {}),
    };
    for await (const output of run.stream.read(partSync)) {
      const batch = asBatch(output);
      run.ctx.signal.throwIfAborted();
      if (batch.records.length === 0 && !batch.bookmark && !batch.files) continue;
      if (batch.files) yield batchFilesMessage(run, batch.files, version);
      if (batch.records.length > 0) yield recordBatch(run, batch, version);
      if (resumable && batch.records.length > 0)
        tracker.set(id, { last_pk_fetched: pickKeys(batch.records[batch.records.length - 1] as RecordData, keys) });
      if (batch.bookmark) tracker.set(id, batch.bookmark);
      yield tracker.message();
    }
  });

  yield { type: 'ACTIVATE_VERSION', stream: entry.stream, version };
  tracker.set(id, { last_pk_fetched: undefined });
  tracker.syncing(null);
  yield tracker.message();
}

/** True when `key` (values of the key columns) lies in `range`: from ≤ key < to, compared column by column. */
function inKeyRange(record: RecordData, range: KeyRange, keys: readonly string[]): boolean {
  const compare = (bound: Record<string, unknown>) => {
    for (const key of keys) {
      const order = compareBookmarkValues(record[key], bound[key]);
      if (order !== 0) return order;
    }
    return 0;
  };
  return (!range.from || compare(range.from) >= 0) && (!range.to || compare(range.to) < 0);
}

/**
 * One key range of a split FULL_TABLE stream (`ctx.keyRange`): the stream reads with `sync.keyRange` (and
 * `resumeAfter` when a killed attempt committed some), records outside the range are dropped here in case it cannot
 * ask its system for exactly those, and the range's own bookmark advances; no ACTIVATE_VERSION (the finalize step).
 */
async function* syncKeyRange(run: StreamRun, task: KeyRangeTask): AsyncGenerator<SourceMessage> {
  const { tracker, keys } = run;
  const start = startKeyRange(tracker.state, task, keys);
  yield schemaMessage(run);
  if (!start.done) {
    const sync: StreamSync = {
      ...baseSync(run, tracker.bookmark(start.stateKey)),
      keyRange: start.range,
      ...(start.resumeAfter ? { resumeAfter: start.resumeAfter } : {}),
    };
    for await (const output of run.stream.read(sync)) {
      run.ctx.signal.throwIfAborted();
      const batch = asBatch(output);
      const records = batch.records.filter(
        (r) =>
          inKeyRange(r as RecordData, start.range, keys) &&
          (!start.resumeAfter ||
            (inKeyRange(r as RecordData, { from: start.resumeAfter }, keys) && !sameKeys(r as RecordData, start.resumeAfter, keys))),
      );
      if (records.length === 0) continue;
      yield recordBatch(run, records.length === batch.records.length ? batch : { records }, start.version);
      tracker.set(start.stateKey, { last_pk_fetched: pickKeys(records[records.length - 1] as RecordData, keys) });
      yield tracker.message();
    }
    tracker.set(start.stateKey, keyRangeDone());
  }
  tracker.syncing(null);
  yield tracker.message();
}

function sameKeys(record: RecordData, keysOf: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.every((k) => compareBookmarkValues(record[k], keysOf[k]) === 0);
}

/** After every range of a split stream: its version is activated and its bookmark left as a whole-table sync leaves it. */
async function* finalizeRanges(run: StreamRun, task: KeyRangeTask): AsyncGenerator<SourceMessage> {
  const { version, state } = finishKeyRanges(run.tracker.state, task);
  yield schemaMessage(run);
  yield { type: 'ACTIVATE_VERSION', stream: run.entry.stream, version };
  run.tracker.state = state;
  run.tracker.syncing(null);
  yield run.tracker.message();
}

/** Records a stream wrote to files (StreamBatch.files) as a Singer BATCH message. */
function batchFilesMessage(run: StreamRun, files: NonNullable<StreamBatch['files']>, version?: number): SourceMessage {
  return {
    type: 'BATCH',
    stream: run.entry.stream,
    encoding: { format: files.format, compression: 'none' },
    manifest: files.paths.map((path) => pathToFileURL(path).href),
    record_count: files.rows,
    ...(files.view ? { view: files.view } : {}),
    ...(version === undefined ? {} : { version }),
  };
}

function recordBatch(run: StreamRun, batch: StreamBatch, version?: number): SourceMessage {
  // Projected records no longer match their native rows: those go.
  const records = run.project(batch.records);
  return {
    type: 'RECORD_BATCH',
    stream: run.entry.stream,
    records,
    ...(version === undefined ? {} : { version }),
    ...(batch.native && records === batch.records ? { native: batch.native } : {}),
    ...(batch.time_extracted ? { time_extracted: batch.time_extracted } : {}),
  };
}

async function* syncIncremental(run: StreamRun): AsyncGenerator<SourceMessage> {
  const { entry, tracker, keys } = run;
  const rk = run.replicationKey as string;
  const id = entry.tap_stream_id;
  const sorted = run.stream.orderedByReplicationKey === true;
  const partitioned = run.stream.partitions !== undefined;
  // A bookmark of another replication key (the key was changed) starts the stream over, partitions included.
  const sameKey = tracker.bookmark(id).replication_key === rk;
  tracker.set(id, {
    replication_key: rk,
    version: undefined,
    last_pk_fetched: undefined,
    ...(sameKey ? {} : { replication_key_value: undefined, replication_key_pk: undefined, partitions: undefined }),
  });

  yield schemaMessage(run);

  const sync = baseSync(run, tracker.bookmark(id));
  yield* eachPartition(run, sync, async function* (slot, partition, requestsDone) {
    const bookmark = { ...slot.get(), replication_key: slot.get().replication_key ?? (partitioned ? rk : undefined) };
    let position: KeysetPosition = startKeyset(bookmark, rk, sorted ? keys : []);
    if (!sorted) position = { replicationKey: rk, ...(position.value === undefined ? {} : { value: position.value }) };
    const cursor = new IncrementalCursor(position.value, run.stream.startValue, position.afterKeys ? 0 : run.stream.lookback);
    slot.set(keysetBookmark(position));
    const saved = position.value;
    // A new run reads (and is checked for order) from the looked-back bookmark or the start value, inclusive.
    if (sorted && !position.afterKeys && cursor.start !== undefined) position = { replicationKey: rk, value: cursor.start };
    let started = false;
    const partSync: StreamSync = {
      ...sync,
      bookmark: slot.get(),
      ...(cursor.start === undefined ? {} : { start: cursor.start }),
      ...(sorted ? { position } : {}),
      ...(partition ? { partition } : {}),
      ...(requestsDone ? { requestsDone } : {}),
    };
    for await (const output of run.stream.read(partSync)) {
      const batch = asBatch(output);
      run.ctx.signal.throwIfAborted();
      if (batch.records.length === 0 && !batch.bookmark && !batch.files) continue;
      if (batch.files) yield batchFilesMessage(run, batch.files);
      for (const record of batch.records) cursor.observe(record[rk]);
      if (batch.records.length > 0) {
        if (sorted) {
          checkSorted(run, batch.records, position, started);
          started = true;
          position = advanceKeyset(position, batch.records[batch.records.length - 1] as RecordData, keys);
        }
        yield recordBatch(run, batch);
        // Bookmarks move only once their records were passed on (partitions read at once see each other's moves).
        // Inside the lookback window the bookmark stays where it was: it never moves back.
        if (sorted && (saved === undefined || compareBookmarkValues(position.value, saved) >= 0)) slot.set(keysetBookmark(position));
      }
      if (batch.bookmark) slot.set(batch.bookmark);
      yield tracker.message();
    }
    // Done: the largest value seen, without the row key, so the next run re-reads that value (rows may still arrive with it).
    const final =
      sorted && position.value !== undefined && (cursor.value === undefined || compareBookmarkValues(position.value, cursor.value) > 0)
        ? position.value
        : cursor.value;
    slot.set(keysetBookmark({ replicationKey: rk, value: final }, true));
  });
  tracker.syncing(null);
  yield tracker.message();
}

/**
 * A stream that says it is in keyset order must be: a record out of order would move the bookmark past unread
 * rows. `started` tells whether the partition already yielded records (else `position` is where it started).
 */
function checkSorted(run: StreamRun, records: RecordData[], position: KeysetPosition, started: boolean): void {
  let previous = position;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as RecordData;
    // Inclusive start (no row key yet): a record equal to the start value is in order.
    if (previous.value !== undefined && compareToKeyset(record, previous, run.keys) < 0) {
      const value = JSON.stringify(record[previous.replicationKey]);
      const beforeStart = !started && i === 0;
      throw new ConnectorError(
        beforeStart ? 'STREAM_BEFORE_START' : 'STREAM_NOT_SORTED',
        beforeStart
          ? `a record with ${run.replicationKey} = ${value} lies before the start of the sync (${JSON.stringify(previous.value)}): the request ignored the incremental filter`
          : `records are not in ${run.replicationKey} order: ${value} came after ${JSON.stringify(previous.value)}`,
        {
          stream: run.entry.tap_stream_id,
          record: i,
          field: run.replicationKey,
          hint: beforeStart
            ? 'check the parameter that sends the start value to the API (HttpStream `incremental.param`), or filter records client-side (`filterByStart`)'
            : 'the stream promised ascending replication-key order (orderedByReplicationKey); drop that promise or sort the request',
        },
      );
    }
    previous = advanceKeyset(previous, record, run.keys);
  }
}
