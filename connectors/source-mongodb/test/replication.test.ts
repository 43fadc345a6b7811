import { emptyState, MessageGuard, type Catalog, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import { testContext } from '@mage-int/testkit';
import { Int32, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongo, { type Config } from '../src/index.js';
import { type AnyDoc, discover, select, startTestServer, type TestServer } from './helpers.js';

let test: TestServer;
beforeAll(async () => {
  test = await startTestServer({ oplogSize: 100_000 });
});
afterAll(async () => {
  await test?.close();
});

interface Run {
  messages: SourceMessage[];
  records: RecordData[];
  /** The last STATE seen (all of them, or up to `stopAfterStates`). */
  state: State;
}

/**
 * Reads like the runner does (the Singer rules checked on every message), optionally stopping after N STATE messages
 * as a killed run would; `onBatch` runs after each RECORD_BATCH, before the next message is pulled.
 */
async function read(
  config: Config,
  catalog: Catalog,
  state: State,
  options: { stopAfterStates?: number; onBatch?: (n: number) => Promise<void> } = {},
): Promise<Run> {
  const guard = new MessageGuard({ validateRecords: true });
  const ctx = testContext('source-mongodb', 30_000);
  const run: Run = { messages: [], records: [], state };
  let states = 0;
  let batches = 0;
  try {
    for await (const message of mongo.read(config as never, catalog, state, ctx)) {
      guard.check(message);
      run.messages.push(message);
      if (message.type === 'RECORD_BATCH') {
        run.records.push(...message.records);
        await options.onBatch?.(++batches);
      }
      if (message.type === 'STATE') {
        run.state = message.value as State;
        if (options.stopAfterStates !== undefined && ++states >= options.stopAfterStates) break;
      }
    }
  } finally {
    ctx.dispose();
  }
  return run;
}

/** Records up to the last STATE only: what a destination had committed when the run was killed. */
function committed(run: Run): RecordData[] {
  const out: RecordData[] = [];
  let pending: RecordData[] = [];
  for (const m of run.messages) {
    if (m.type === 'RECORD_BATCH') pending.push(...m.records);
    if (m.type === 'STATE') {
      out.push(...pending);
      pending = [];
    }
  }
  return out;
}

/** Applies LOG_BASED records to a copy keyed by _id, as an upserting destination with hard deletes would. */
function apply(copy: Map<string, RecordData>, records: RecordData[]): void {
  for (const r of records) {
    const key = JSON.stringify(r['_id']);
    if (r['_sdc_deleted_at']) copy.delete(key);
    else copy.set(key, r);
  }
}

async function sourceCopy(database: string, collection: string): Promise<Map<string, Record<string, unknown>>> {
  const docs = await test.client.db(database).collection(collection).find().toArray();
  return new Map(docs.map((d) => [JSON.stringify(d._id instanceof ObjectId ? d._id.toHexString() : d._id), d]));
}

describe('FULL_TABLE', () => {
  it('resumes an interrupted sync after the last committed _id, across _id types, without losing or repeating a document', async () => {
    const db = test.client.db('full_resume');
    const docs = [
      ...Array.from({ length: 60 }, (_, i) => ({ _id: new ObjectId(), n: i })),
      ...Array.from({ length: 25 }, (_, i) => ({ _id: new Int32(i * 10), n: 100 + i })),
      ...Array.from({ length: 25 }, (_, i) => ({ _id: `key-${String(i).padStart(3, '0')}`, n: 200 + i })),
    ];
    await db.collection<AnyDoc>('items').insertMany(docs as never);
    const config = test.config('full_resume', { batch_size: 7 });
    const catalog = select(await discover(config), { items: { method: 'FULL_TABLE' } });

    const first = await read(config, catalog, emptyState(), { stopAfterStates: 6 });
    const bookmark = first.state.bookmarks['full_resume-items'] ?? {};
    expect(bookmark['last_pk_fetched']).toBeDefined();
    expect(typeof bookmark['last_id']).toBe('string');
    const second = await read(config, catalog, first.state);
    const before = committed(first).map((r) => JSON.stringify(r['_id']));
    const after = second.records.map((r) => JSON.stringify(r['_id']));
    expect(new Set([...before, ...after]).size).toBe(docs.length);
    expect(before.length + after.length).toBe(docs.length);
    // The resumed run kept the version, so ACTIVATE_VERSION at its end keeps the first run's rows.
    expect(second.state.bookmarks['full_resume-items']?.['version']).toBe(bookmark['version']);
    expect(second.state.bookmarks['full_resume-items']?.['last_pk_fetched']).toBeUndefined();
  });
  it('opens the cursor again after the last _id passed on when the server lost it (CursorNotFound)', async () => {
    await test.client
      .db('full_reopen')
      .collection<AnyDoc>('items')
      .insertMany(Array.from({ length: 40 }, (_, i) => ({ _id: new Int32(i) })));
    const config = test.config('full_reopen', { batch_size: 6 });
    const catalog = select(await discover(config), { items: { method: 'FULL_TABLE' } });
    const run = await read(config, catalog, emptyState(), {
      onBatch: async (n) => {
        if (n === 2 || n === 4) test.server.killAllCursors();
      },
    });
    expect(run.records.map((r) => r['_id'])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // The first find, then one after each lost cursor, each starting at the last _id passed on.
    const finds = test.server.commandLog.filter((c) => c.command === 'find' && c.db === 'full_reopen');
    expect(finds).toHaveLength(3);
    expect(finds.slice(1).every((f) => f.body['min'] !== undefined)).toBe(true);
  });
});

describe('INCREMENTAL', () => {
  it('crosses a run of equal replication-key values in small pages and after an interruption, none lost or repeated, and sees late documents with the bookmarked value', async () => {
    const db = test.client.db('incremental_ties');
    const tie = new Date('2024-05-01T10:00:00.000Z');
    await db.collection<AnyDoc>('events').insertMany([
      ...Array.from({ length: 5 }, (_, i) => ({ _id: new ObjectId(), at: new Date(Date.UTC(2024, 3, 1, i)), n: i })),
      ...Array.from({ length: 23 }, (_, i) => ({ _id: new ObjectId(), at: tie, n: 10 + i })),
      { _id: new ObjectId(), n: 99 }, // no `at`: never read incrementally
    ]);
    const config = test.config('incremental_ties', { batch_size: 4 });
    const catalog = select(await discover(config), { events: { method: 'INCREMENTAL', key: 'at' } });

    const first = await read(config, catalog, emptyState(), { stopAfterStates: 3 });
    const mid = first.state.bookmarks['incremental_ties-events'] ?? {};
    expect(mid['replication_key_value']).toBe('2024-05-01T10:00:00.000Z');
    expect(mid['replication_key_pk']).toBeDefined();
    const second = await read(config, catalog, first.state);
    const ns = [...committed(first), ...second.records].map((r) => r['n']);
    expect(ns.sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, ...Array.from({ length: 23 }, (_, i) => 10 + i)]);
    expect(second.state.bookmarks['incremental_ties-events']?.['replication_key_value']).toBe('2024-05-01T10:00:00.000Z');

    await db.collection<AnyDoc>('events').insertOne({ _id: new ObjectId(), at: tie, n: 50 });
    const third = await read(config, catalog, second.state);
    expect(third.records.map((r) => r['n'])).toContain(50);
  });
});

describe('LOG_BASED', () => {
  it('snapshots while writes go on, then replays the change stream onto the copy: inserts, updates and deletes converge', async () => {
    const db = test.client.db('cdc');
    const stock = db.collection<AnyDoc>('stock');
    await stock.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: new Int32(i), qty: new Int32(i % 10), note: `row ${i}` })));
    const config = test.config('cdc', { batch_size: 40 });
    const catalog = select(await discover(config), { stock: { method: 'LOG_BASED' } });

    let next = 1000;
    const first = await read(config, catalog, emptyState(), {
      // Between snapshot batches: updates ahead of and behind the snapshot's position, inserts, deletes.
      onBatch: async (n) => {
        if (n > 5) return;
        await stock.updateOne({ _id: new Int32(n * 50 + 7) }, { $set: { note: `updated ${n}` }, $inc: { qty: 100 } } as never);
        await stock.updateOne({ _id: new Int32(n) }, { $set: { note: `early ${n}` } });
        await stock.insertOne({ _id: new Int32(next++), qty: new Int32(1), note: 'new' });
        await stock.deleteOne({ _id: new Int32(n * 50 + 20) });
      },
    });
    const bookmark = first.state.bookmarks['cdc-stock'] ?? {};
    expect(bookmark['resume_token']).toBeDefined();
    const ctx = testContext('preflight');
    await expect(mongo.operations?.preflight?.(config as never, catalog, first.state, ctx)).resolves.toBeUndefined();
    ctx.dispose();
    expect(bookmark['snapshot_cluster_time']).toBeUndefined();
    const copy = new Map<string, RecordData>();
    apply(copy, first.records);
    const expected = await sourceCopy('cdc', 'stock');
    expect([...copy.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, doc] of expected) expect(copy.get(key)?.['note']).toBe(doc['note']);

    // A later run reads only the changes since the saved token; deletes arrive as _sdc_deleted_at.
    await stock.deleteMany({ _id: { $lt: new Int32(10) } });
    await stock.updateOne({ _id: new Int32(299) }, { $set: { note: 'last' } });
    const second = await read(config, catalog, first.state);
    expect(second.messages.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
    const deletes = second.records.filter((r) => r['_sdc_deleted_at']);
    expect(deletes.map((r) => r['_id']).sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(typeof deletes[0]?.['_sdc_deleted_at']).toBe('string');
    apply(copy, second.records);
    const after = await sourceCopy('cdc', 'stock');
    expect([...copy.keys()].sort()).toEqual([...after.keys()].sort());
    expect(copy.get('299')?.['note']).toBe('last');
  });

  it('fails loudly, asking for a full resync, when the saved resume token is no longer in the oplog', async () => {
    const db = test.client.db('cdc_lost');
    await db.collection<AnyDoc>('orders').insertMany([{ _id: new Int32(1) }, { _id: new Int32(2) }]);
    const config = test.config('cdc_lost');
    const catalog = select(await discover(config), { orders: { method: 'LOG_BASED' } });
    const first = await read(config, catalog, emptyState());
    await db.collection<AnyDoc>('orders').insertOne({ _id: new Int32(3) });
    test.server.truncateOplog();
    await db.collection<AnyDoc>('orders').insertOne({ _id: new Int32(4) });
    const error = await read(config, catalog, first.state).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string; hint?: string },
    );
    expect(error?.code, error?.message).toBe('RESUME_TOKEN_EXPIRED');
    // `mage-int check` (the source's preflight) says the same before a run.
    const ctx = testContext('preflight');
    const preflight = await mongo.operations?.preflight?.(config as never, catalog, first.state, ctx).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    ctx.dispose();
    expect(preflight?.code).toBe('RESUME_TOKEN_EXPIRED');
    expect(error?.message).toMatch(/full resync/);
    expect(error?.hint).toMatch(/--full-refresh --streams cdc_lost-orders/);
  });

  it('fails loudly when the collection is dropped (drop, then invalidate)', async () => {
    const db = test.client.db('cdc_drop');
    await db.collection<AnyDoc>('gone').insertMany([{ _id: new Int32(1) }]);
    const config = test.config('cdc_drop');
    const catalog = select(await discover(config), { gone: { method: 'LOG_BASED' } });
    const first = await read(config, catalog, emptyState());
    await db.collection<AnyDoc>('gone').insertOne({ _id: new Int32(2) });
    await db.collection<AnyDoc>('gone').drop();
    const error = await read(config, catalog, first.state).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).toBe('CHANGE_STREAM_INVALIDATED');
    expect(error?.message).toMatch(/drop event/);
  });

  it('refuses a view before reading anything', async () => {
    const config = test.config('cdc');
    const catalog = await discover(config);
    const entry = catalog.streams.find((s) => s.stream === 'stock');
    const view = structuredClone(entry) as NonNullable<typeof entry>;
    view.metadata = view.metadata.map((m) => (m.breadcrumb.length === 0 ? { ...m, metadata: { ...m.metadata, 'is-view': true } } : m));
    const error = await read(config, select({ streams: [view] }, { stock: { method: 'LOG_BASED' } }), emptyState()).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe('LOG_BASED_UNSUPPORTED');
  });
});

describe('discovery', () => {
  it('names streams <database>-<collection> across several databases and keeps only the collections asked for', async () => {
    await test.client
      .db('multi_a')
      .collection<AnyDoc>('orders')
      .insertOne({ _id: new Int32(1), n: new Int32(1) });
    await test.client
      .db('multi_a')
      .collection<AnyDoc>('skipped')
      .insertOne({ _id: new Int32(1) });
    await test.client
      .db('multi_b')
      .collection<AnyDoc>('orders')
      .insertOne({ _id: 'k', at: new Date(0) });
    const catalog = await discover(test.config('multi_a', { databases: ['multi_a', 'multi_b'], collections: ['orders'] }));
    expect(catalog.streams.map((s) => [s.tap_stream_id, s.stream])).toEqual([
      ['multi_a-orders', 'multi_a-orders'],
      ['multi_b-orders', 'multi_b-orders'],
    ]);
    const b = catalog.streams[1];
    const md = b?.metadata.find((m) => m.breadcrumb.length === 0)?.metadata;
    expect(md).toMatchObject({
      'database-name': 'multi_b',
      'table-key-properties': ['_id'],
      'valid-replication-keys': ['_id', 'at'],
      'row-count': 1,
    });
    const error = await discover(test.config('multi_a', { collections: ['nope'] })).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe('COLLECTION_NOT_FOUND');
  });
});

describe('LOG_BASED in follow mode', () => {
  it('keeps reading the change stream until stopped, with a STATE after each batch', async () => {
    const feed = test.client.db('follow').collection<AnyDoc>('feed');
    await feed.insertOne({ _id: new Int32(0) });
    const config = test.config('follow', { follow: true });
    const catalog = select(await discover(config), { feed: { method: 'LOG_BASED' } });
    const controller = new AbortController();
    const ctx = { ...testContext('follow', 30_000), signal: controller.signal, follow: true };
    const seen: unknown[] = [];
    let statesAfterInsert = 0;
    let inserted = false;
    const reading = (async () => {
      for await (const message of mongo.read(config as never, catalog, emptyState(), ctx)) {
        if (message.type === 'RECORD_BATCH') seen.push(...message.records.map((r) => r['_id']));
        if (message.type === 'STATE' && inserted) statesAfterInsert++;
        if (message.type === 'STATE' && !inserted && seen.includes(0)) {
          inserted = true;
          // Written while the run follows the stream: they must arrive without a new run.
          setTimeout(() => void feed.insertMany([{ _id: new Int32(1) }, { _id: new Int32(2) }]), 50);
        }
        if (seen.includes(2)) controller.abort();
      }
    })().catch((e: unknown) => e);
    const outcome = await reading;
    expect(seen).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(statesAfterInsert).toBeGreaterThan(0);
    // Stopping ends the read (a hang would time the test out), at most with the abort as its error.
    if (outcome !== undefined) expect(outcome).toBe(controller.signal.reason);
  });
});
