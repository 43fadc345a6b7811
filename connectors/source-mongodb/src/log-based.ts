import {
  ConnectorError,
  pickKeys,
  startFullTable,
  StateTracker,
  type CatalogStream,
  type ConnectorContext,
  type JsonSchema,
  type RecordData,
  type SourceMessage,
  type State,
  type StreamBookmark,
  type StreamSync,
} from '@mage-int/core';
import { Timestamp, type ChangeStream, type ChangeStreamDocument, type Document, type MongoClient, type ResumeToken } from 'mongodb';
import { recordValue } from './bson-values.js';
import { collectionStream, type CollectionPlan } from './collection-stream.js';
import { explainError, RAW_BSON, serverCode } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { RecordConverter } from './records.js';

export const SDC_DELETED_AT = '_sdc_deleted_at';

/** A plan's schema with the change metadata column. */
export function logSchema(plan: CollectionPlan): JsonSchema {
  return { ...plan.schema, properties: { ...plan.schema.properties, [SDC_DELETED_AT]: { type: ['null', 'string'], format: 'date-time' } } };
}

/** A cluster time as it is kept in state: `"<seconds>.<increment>"`. */
export function formatClusterTime(ts: Timestamp): string {
  return `${ts.t}.${ts.i}`;
}

function parseClusterTime(text: unknown): Timestamp | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d+)\.(\d+)$/.exec(text);
  return match ? new Timestamp({ t: Number(match[1]), i: Number(match[2]) }) : undefined;
}

function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? Math.sign(a.t - b.t) : Math.sign(a.i - b.i);
}

/** The server's current cluster time (the `operationTime` every replica-set answer carries). */
export async function currentClusterTime(client: MongoClient): Promise<Timestamp> {
  const hello = await client.db('admin').command({ hello: 1 });
  const time = hello['operationTime'] ?? (hello['lastWrite'] as Document | undefined)?.['opTime']?.['ts'];
  if (!(time instanceof Timestamp))
    throw new ConnectorError('LOG_BASED_NEEDS_REPLICA_SET', 'the server reports no cluster time, so it has no change streams', {
      hint: 'LOG_BASED needs a replica set or a sharded cluster (a single server can run as a one-member replica set: `mongod --replSet rs0` and `rs.initiate()`); use FULL_TABLE or INCREMENTAL otherwise',
    });
  return time;
}

/** Where a LOG_BASED stream continues: its resume token, or the cluster time its snapshot was taken at. */
function logPosition(bookmark: StreamBookmark): { resumeAfter: ResumeToken } | { startAtOperationTime: Timestamp } | undefined {
  const token = bookmark['resume_token'];
  if (token && typeof token === 'object') return { resumeAfter: token as ResumeToken };
  const at = parseClusterTime(bookmark['cluster_time']);
  return at ? { startAtOperationTime: at } : undefined;
}

/** Change-stream failures that mean the saved position is gone for good. */
const HISTORY_LOST = new Set([286, 280, 260]);

function historyLost(error: unknown, plan: CollectionPlan): ConnectorError {
  return new ConnectorError(
    'RESUME_TOKEN_EXPIRED',
    `the change stream of ${plan.ref.database}.${plan.ref.collection} cannot resume from the saved position: MongoDB's oplog no longer holds it (${(error as Error).message}). Changes made since were lost to this pipeline; a full resync of the stream is needed`,
    {
      stream: plan.tapStreamId,
      hint: `resync it: \`mage-int run <pipeline> --full-refresh --streams ${plan.tapStreamId}\` (or clear its state), and give the oplog a longer window (replSetResizeOplog / oplogMinRetentionHours) or run the pipeline more often`,
    },
  );
}

function invalidated(event: ChangeStreamDocument, plan: CollectionPlan): ConnectorError {
  return new ConnectorError(
    'CHANGE_STREAM_INVALIDATED',
    `the change stream of ${plan.ref.database}.${plan.ref.collection} ended with a ${event.operationType} event: the collection was dropped, renamed or its database dropped, so the copy can no longer follow it; a full resync is needed`,
    {
      stream: plan.tapStreamId,
      hint: `resync it once the collection is back: \`mage-int run <pipeline> --full-refresh --streams ${plan.tapStreamId}\`, or deselect the stream`,
    },
  );
}

/**
 * `mage-int check`: opens each LOG_BASED stream's change stream at its saved position and asks once, so a position the
 * oplog no longer holds is reported before a run (the same RESUME_TOKEN_EXPIRED `read` would fail with).
 */
export async function probeLogPositions(config: Config, client: MongoClient, plans: CollectionPlan[], state: State): Promise<void> {
  for (const plan of plans) {
    const position = logPosition(state.bookmarks?.[plan.tapStreamId] ?? {});
    if (!position) continue;
    const changes = client
      .db(plan.ref.database)
      .collection(plan.ref.collection)
      .watch([], { ...RAW_BSON, ...position, batchSize: 1, maxAwaitTimeMS: 50 });
    try {
      await changes.tryNext();
    } catch (error) {
      const code = serverCode(error);
      if (code !== undefined && HISTORY_LOST.has(code)) throw historyLost(error, plan);
      throw explainError(error, config, plan.tapStreamId);
    } finally {
      await changes.close().catch(() => {});
    }
  }
}

interface LogStream {
  plan: CollectionPlan;
  entry: CatalogStream;
  version: number;
  converter: RecordConverter;
  schemaSent: boolean;
}

/**
 * The snapshot of a stream without a log position: the whole collection in `_id` order (resumable by `_id`, as
 * FULL_TABLE) under a new version, tied to the cluster time read before it began. Its change stream then starts at
 * that cluster time, so every write during the snapshot is replayed onto the copy (upserts by `_id` and deletes
 * converge). An interrupted snapshot resumes after its last `_id` and keeps its first cluster time.
 */
async function* snapshot(
  client: MongoClient,
  config: Config,
  stream: LogStream,
  tracker: StateTracker,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const { plan, entry } = stream;
  const id = plan.tapStreamId;
  const bookmark = tracker.bookmark(id);
  const resumedAt = parseClusterTime(bookmark['snapshot_cluster_time']);
  const at = resumedAt ?? (await currentClusterTime(client));
  const start = startFullTable(resumedAt ? bookmark : { ...bookmark, last_pk_fetched: undefined }, ['_id']);
  stream.version = start.version;
  tracker.set(id, {
    snapshot_cluster_time: formatClusterTime(at),
    cluster_time: undefined,
    resume_token: undefined,
    version: start.version,
    last_pk_fetched: start.resumeAfter,
    last_id: start.resumeAfter ? bookmark['last_id'] : undefined,
  });
  tracker.syncing(id);
  ctx.logger.info(`snapshot of ${id} at cluster time ${formatClusterTime(at)}${start.resumeAfter ? ', resumed' : ''}`);
  yield { type: 'SCHEMA', stream: entry.stream, schema: logSchema(plan), key_properties: ['_id'] };
  stream.schemaSent = true;
  if (start.firstSync) yield { type: 'ACTIVATE_VERSION', stream: entry.stream, version: start.version };
  const reader = collectionStream({ client, batchSize: config.batch_size }, plan);
  const sync: StreamSync = {
    entry,
    tapStreamId: id,
    method: 'FULL_TABLE',
    keyProperties: ['_id'],
    fields: Object.keys(plan.schema.properties ?? {}),
    bookmark: tracker.bookmark(id),
    ...(start.resumeAfter ? { resumeAfter: start.resumeAfter } : {}),
    signal: ctx.signal,
    logger: ctx.logger,
  };
  try {
    for await (const output of reader.read(sync)) {
      const batch = Array.isArray(output) ? { records: output } : output;
      if (batch.records.length === 0) continue;
      for (const record of batch.records) record[SDC_DELETED_AT] = null;
      yield { type: 'RECORD_BATCH', stream: entry.stream, records: batch.records, version: start.version };
      tracker.set(id, {
        last_pk_fetched: pickKeys(batch.records[batch.records.length - 1] as RecordData, ['_id']),
        ...(batch.bookmark ?? {}),
      });
      yield tracker.message();
    }
  } catch (error) {
    throw explainError(error, config, id);
  }
  yield { type: 'ACTIVATE_VERSION', stream: entry.stream, version: start.version };
  tracker.set(id, {
    cluster_time: formatClusterTime(at),
    snapshot_cluster_time: undefined,
    last_pk_fetched: undefined,
    last_id: undefined,
  });
  tracker.syncing(null);
  yield tracker.message();
}

/** The record of a change event; undefined for an update whose document is gone by the time it was looked up. */
function changeRecord(stream: LogStream, event: ChangeStreamDocument): RecordData | undefined {
  switch (event.operationType) {
    case 'insert':
    case 'update':
    case 'replace': {
      const doc = event.fullDocument as Document | null | undefined;
      if (!doc) return undefined; // deleted since: its delete event follows
      const record = stream.converter.record(doc);
      record[SDC_DELETED_AT] = null;
      return record;
    }
    case 'delete': {
      const wall =
        event.wallTime instanceof Date ? event.wallTime : new Date((event.clusterTime?.t ?? Math.floor(Date.now() / 1000)) * 1000);
      return { _id: recordValue(event.documentKey._id), [SDC_DELETED_AT]: wall.toISOString() };
    }
    default:
      return undefined;
  }
}

/**
 * Reads one stream's change events from its saved position: records per `batch_size` events, each followed by a
 * STATE whose `resume_token` resumes right after the last event in it. The runner saves a STATE only once the
 * destination committed everything before it, so the saved token never runs ahead of the destination. Without
 * follow it stops once it has passed `end` (the cluster time when the streaming began) or the server has nothing
 * more; with follow it returns after every idle wait and every full batch so the caller can go round the streams.
 */
async function* readChanges(
  config: Config,
  client: MongoClient,
  stream: LogStream,
  tracker: StateTracker,
  ctx: ConnectorContext,
  options: { end?: Timestamp; changeStream?: ChangeStream },
): AsyncGenerator<SourceMessage, ChangeStream | undefined> {
  const { plan, entry } = stream;
  const id = plan.tapStreamId;
  let changes = options.changeStream;
  if (!changes) {
    const position = logPosition(tracker.bookmark(id));
    if (!position) throw new Error(`${id} has no log position`);
    changes = client
      .db(plan.ref.database)
      .collection(plan.ref.collection)
      .watch([], {
        ...RAW_BSON,
        ...position,
        fullDocument: 'updateLookup',
        batchSize: config.batch_size,
        maxAwaitTimeMS: Math.round(config.max_await_seconds * 1000),
      });
  }
  if (!stream.schemaSent) {
    yield { type: 'SCHEMA', stream: entry.stream, schema: logSchema(plan), key_properties: ['_id'] };
    stream.schemaSent = true;
  }
  let records: RecordData[] = [];
  let passedEnd = false;
  const flush = function* (): Generator<SourceMessage> {
    if (records.length > 0) yield { type: 'RECORD_BATCH', stream: entry.stream, records, version: stream.version };
    records = [];
    const token = changes?.resumeToken;
    if (token) tracker.set(id, { resume_token: token as unknown as StreamBookmark[string], cluster_time: undefined });
    yield tracker.message();
  };
  try {
    for (;;) {
      ctx.signal.throwIfAborted();
      let event: ChangeStreamDocument | null;
      try {
        event = await changes.tryNext();
      } catch (error) {
        const code = serverCode(error);
        if (code !== undefined && HISTORY_LOST.has(code)) throw historyLost(error, plan);
        throw explainError(error, config, id);
      }
      if (event === null) {
        yield* flush();
        if (options.end === undefined) return changes; // follow: idle, let the caller go round
        break;
      }
      if (['drop', 'rename', 'dropDatabase', 'invalidate'].includes(event.operationType)) {
        yield* flush();
        throw invalidated(event, plan);
      }
      const record = changeRecord(stream, event);
      if (record) records.push(record);
      if (records.length >= config.batch_size) {
        yield* flush();
        if (options.end === undefined) return changes; // follow: a busy stream lets the others have their turn
      }
      const at = (event as { clusterTime?: Timestamp }).clusterTime;
      if (options.end && at instanceof Timestamp && compareTimestamps(at, options.end) >= 0) {
        passedEnd = true;
        yield* flush();
        break;
      }
    }
  } catch (error) {
    await changes.close().catch(() => {});
    throw error;
  }
  await changes.close().catch(() => {});
  if (passedEnd) ctx.logger.debug(`${id}: change stream read up to the run's start time`);
  return undefined;
}

/**
 * LOG_BASED: snapshots of the streams without a log position, then each stream's change stream. A stream's state is
 * its own `resume_token` (one change stream per collection), so streams are independent. Follow mode goes round the
 * streams until the run is stopped.
 */
export async function* readLogBased(
  config: Config,
  client: MongoClient,
  plans: { plan: CollectionPlan; entry: CatalogStream }[],
  state: State,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const tracker = new StateTracker(state);
  const streams: LogStream[] = plans.map(({ plan, entry }) => {
    const version = tracker.bookmark(plan.tapStreamId).version;
    return {
      plan,
      entry,
      version: typeof version === 'number' ? version : Date.now(),
      converter: new RecordConverter(plan.tapStreamId, plan.schema, ctx.logger),
      schemaSent: false,
    };
  });
  for (const stream of streams) {
    if (!logPosition(tracker.bookmark(stream.plan.tapStreamId))) yield* snapshot(client, config, stream, tracker, ctx);
  }
  const follow = ctx.follow === true || config.follow === true;
  if (!follow) {
    const end = await currentClusterTime(client);
    for (const stream of streams) {
      tracker.syncing(stream.plan.tapStreamId);
      yield* readChanges(config, client, stream, tracker, ctx, { end });
      tracker.syncing(null);
      yield tracker.message();
    }
    return;
  }
  const open = new Map<LogStream, ChangeStream>();
  try {
    while (!ctx.signal.aborted) {
      for (const stream of streams) {
        const existing = open.get(stream);
        const changes = yield* readChanges(config, client, stream, tracker, ctx, existing ? { changeStream: existing } : {});
        if (changes) open.set(stream, changes);
      }
    }
  } finally {
    for (const changes of open.values()) await changes.close().catch(() => {});
  }
}
