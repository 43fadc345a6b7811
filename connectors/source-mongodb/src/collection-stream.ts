import type { CatalogStream, JsonSchema, KeysetPosition, RecordData, SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import { BSON, type Document, type Filter, type FindOptions, type MongoClient } from 'mongodb';
import { bsonValue, kindsOf, ordersLikeTheKit, recordValue, type BsonKind } from './bson-values.js';
import { RAW_BSON, serverCode } from './connection.js';
import { collectionOf, type CollectionRef } from './discover.js';
import { RecordConverter } from './records.js';

/** What the collection streams of one read share. */
export interface CollectionReadEnv {
  client: MongoClient;
  batchSize: number;
}

/** A catalog entry ready to read: where it lives and the kinds of its fields. */
export interface CollectionPlan {
  tapStreamId: string;
  ref: CollectionRef;
  schema: JsonSchema;
  kinds: (field: string) => BsonKind[];
}

export function planCollection(entry: CatalogStream): CollectionPlan {
  const properties = (entry.schema.properties ?? {}) as Record<string, JsonSchema>;
  return { tapStreamId: entry.tap_stream_id, ref: collectionOf(entry), schema: entry.schema, kinds: (field) => kindsOf(properties[field]) };
}

/** `_id` exactly as stored, for the bookmark: canonical Extended JSON keeps its BSON type (an ObjectId stays one). */
export function idBookmark(id: unknown): string {
  return BSON.EJSON.stringify({ _id: id }, { relaxed: false });
}

/** The `_id` to resume after: the exact one saved beside `last_pk_fetched`, or the record value turned back into BSON. */
export function resumeId(plan: CollectionPlan, sync: Pick<StreamSync, 'bookmark' | 'resumeAfter'>): unknown {
  const saved = sync.bookmark['last_id'];
  const after = sync.resumeAfter?.['_id'];
  if (typeof saved === 'string') {
    const parsed = (BSON.EJSON.parse(saved, { relaxed: false }) as Document)['_id'];
    // Only when it is the same _id the framework's bookmark names (both are saved with the same STATE).
    if (JSON.stringify(recordValue(parsed)) === JSON.stringify(after)) return parsed;
  }
  return bsonValue(after, plan.kinds('_id'));
}

/**
 * Reads a find cursor in batches of records, each with the exact `_id` of its last document as `last_id`
 * (FULL_TABLE keeps it beside the framework's `last_pk_fetched`). `skipId` drops the document a resume starts at.
 */
async function* batches(
  env: CollectionReadEnv,
  plan: CollectionPlan,
  sync: StreamSync,
  filter: Filter<Document>,
  options: FindOptions,
  skipId?: string,
): AsyncGenerator<StreamBatch> {
  const converter = new RecordConverter(plan.tapStreamId, plan.schema, sync.logger);
  const cursor = env.client
    .db(plan.ref.database)
    .collection(plan.ref.collection)
    .find(filter, { ...RAW_BSON, batchSize: env.batchSize, ...options });
  try {
    let records: RecordData[] = [];
    let lastId: unknown;
    for await (const doc of cursor) {
      sync.signal.throwIfAborted();
      if (skipId !== undefined && records.length === 0 && lastId === undefined && idBookmark(doc['_id']) === skipId) continue;
      records.push(converter.record(doc));
      lastId = doc['_id'];
      if (records.length >= env.batchSize) {
        yield { records, bookmark: { last_id: idBookmark(lastId) } };
        records = [];
      }
    }
    if (records.length > 0) yield { records, bookmark: { last_id: idBookmark(lastId) } };
  } finally {
    await cursor.close();
  }
}

/** A server that lost a cursor (idle past cursorTimeoutMillis, a failover) is asked again this many times in one read. */
const CURSOR_REOPENS = 3;

/**
 * FULL_TABLE: the collection in `_id` index order, so an interrupted sync resumes after the last committed `_id`:
 * `min: {_id: <last>}` with the `_id` index hinted starts there in index order across BSON types (a `$gt` filter
 * would only see `_id`s of the same type), and that document itself is skipped. A cursor the server no longer has
 * (CursorNotFound, 43: idle too long while the destination was slow, or a restart) is opened again the same way after
 * the last `_id` passed on. A view has no index: it is read in `_id` order and starts over when interrupted.
 */
async function* readFullTable(env: CollectionReadEnv, plan: CollectionPlan, sync: StreamSync): AsyncGenerator<StreamBatch> {
  if (plan.ref.isView) {
    yield* batches(env, plan, sync, {}, { sort: { _id: 1 } });
    return;
  }
  let after: { id: unknown } | undefined = sync.resumeAfter ? { id: resumeId(plan, sync) } : undefined;
  for (let reopened = 0; ; reopened++) {
    const from = after ? { min: { _id: after.id } } : {};
    try {
      for await (const batch of batches(
        env,
        plan,
        sync,
        {},
        { sort: { _id: 1 }, hint: { _id: 1 }, ...from },
        after ? idBookmark(after.id) : undefined,
      )) {
        yield batch;
        after = { id: (BSON.EJSON.parse(batch.bookmark?.['last_id'] as string, { relaxed: false }) as Document)['_id'] };
      }
      return;
    } catch (error) {
      if (serverCode(error) !== 43 || reopened >= CURSOR_REOPENS) throw error;
      sync.logger.warn(
        `${plan.tapStreamId}: the server no longer has the read's cursor (CursorNotFound); reading on after the last _id passed on`,
      );
    }
  }
}

/**
 * INCREMENTAL by a field: pages of `batch_size` in (field, _id) order, each after the last document of the one before
 * (`{$or: [{f: {$gt: v}}, {f: v, _id: {$gt: id}}]}`), so documents sharing one value are neither lost nor repeated
 * across pages and runs. Documents without the field (or with null) are not read. When the field's or `_id`'s values
 * do not order in the framework as MongoDB orders them (strings, mixed types), the range from the bookmark
 * (inclusive) is one cursor and the bookmark moves at the end of the stream.
 */
async function* readIncremental(
  env: CollectionReadEnv,
  plan: CollectionPlan,
  sync: StreamSync,
  ordered: boolean,
): AsyncGenerator<StreamBatch> {
  const rk = sync.replicationKey as string;
  const rkKinds = plan.kinds(rk);
  const idKinds = plan.kinds('_id');
  const sort = { [rk]: 1, _id: 1 } as const;
  const present = { [rk]: { $exists: true, $ne: null } };
  if (!ordered) {
    const filter = sync.start === undefined ? present : { [rk]: { $gte: bsonValue(sync.start, rkKinds) } };
    for await (const batch of batches(env, plan, sync, filter, { sort })) yield { records: batch.records };
    return;
  }
  let position: KeysetPosition = sync.position ?? { replicationKey: rk, ...(sync.start === undefined ? {} : { value: sync.start }) };
  for (;;) {
    const { value, afterKeys } = position;
    let filter: Filter<Document>;
    if (value === undefined || value === null) filter = present;
    else if (afterKeys) {
      const v = bsonValue(value, rkKinds);
      filter = { $or: [{ [rk]: { $gt: v } }, { [rk]: v, _id: { $gt: bsonValue(afterKeys['_id'], idKinds) } }] } as Filter<Document>;
    } else filter = { [rk]: { $gte: bsonValue(value, rkKinds) } };
    let rows = 0;
    for await (const batch of batches(env, plan, sync, filter, { sort, limit: env.batchSize })) {
      rows += batch.records.length;
      const last = batch.records[batch.records.length - 1] as RecordData;
      position = { replicationKey: rk, value: last[rk], afterKeys: { _id: last['_id'] } };
      yield { records: batch.records };
    }
    if (rows < env.batchSize) return;
  }
}

/** The source-kit stream of a collection: the kit owns SCHEMA, STATE, versions and bookmarks. */
export function collectionStream(env: CollectionReadEnv, plan: CollectionPlan, replicationKey?: string): SourceStream {
  const ordered = replicationKey !== undefined && ordersLikeTheKit(plan.kinds(replicationKey)) && ordersLikeTheKit(plan.kinds('_id'));
  return {
    name: plan.tapStreamId,
    keyProperties: ['_id'],
    orderedByKey: !plan.ref.isView,
    orderedByReplicationKey: ordered,
    read: (sync) => (sync.method === 'FULL_TABLE' ? readFullTable(env, plan, sync) : readIncremental(env, plan, sync, ordered)),
  };
}
