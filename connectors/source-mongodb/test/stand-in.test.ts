// The MongoDB stand-in (tools/testkit/src/stand-ins/mongodb) as the official driver sees it: what the connector's
// tests rely on, checked on its own.
import { startMongoStandIn, type MongoStandIn } from '@mage-int/testkit';
import { Decimal128, Int32, Long, MongoClient, type MongoServerError, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyDoc } from './helpers.js';

describe('MongoDB stand-in through the official driver', () => {
  let server: MongoStandIn;
  const writer = { user: 'writer', password: 's3cret' };
  beforeAll(async () => {
    server = await startMongoStandIn({
      users: [
        { ...writer, roles: [{ role: 'readWrite', db: 'shop' }] },
        { user: 'other', password: 'pw', roles: [{ role: 'read', db: 'elsewhere' }] },
      ],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function withClient<T>(auth: { user: string; password: string }, body: (client: MongoClient) => Promise<T>): Promise<T> {
    const client = new MongoClient(server.url(auth), { serverSelectionTimeoutMS: 3000 });
    try {
      return await body(client);
    } finally {
      await client.close();
    }
  }
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as MongoServerError,
    );

  it('authenticates with SCRAM-SHA-256, writes and reads back typed values', async () => {
    await withClient(writer, async (client) => {
      const orders = client.db('shop').collection<AnyDoc>('orders');
      await orders.insertMany([
        { _id: new ObjectId(), n: 1, price: Decimal128.fromString('1.10') },
        { n: 2, big: Long.fromString('9007199254740993') },
      ]);
      const found = await orders.find({ n: { $gte: 2 } }, { promoteLongs: false }).toArray();
      expect(found).toHaveLength(1);
      expect(String(found[0]?.['big'])).toBe('9007199254740993');
      const sorted = await orders.find({}, { sort: { n: -1 }, projection: { n: 1, _id: 0 } }).toArray();
      expect(sorted).toEqual([{ n: 2 }, { n: 1 }]);
    });
  });

  it('refuses a wrong password with error 18 and a command outside the roles with error 13', async () => {
    const wrong = await withClient({ ...writer, password: 'wrong' }, (client) => failure(client.db('shop').command({ ping: 1 })));
    expect(wrong?.code).toBe(18);
    const outside = await withClient({ user: 'other', password: 'pw' }, (client) =>
      failure(client.db('shop').collection('orders').findOne({})),
    );
    expect(outside?.code).toBe(13);
  });

  it('answers a getMore on a cursor the server no longer has with error 43 CursorNotFound', async () => {
    await withClient(writer, async (client) => {
      const items = client.db('shop').collection<AnyDoc>('items');
      await items.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: new Int32(i) })));
      const cursor = items.find({}, { batchSize: 2 });
      expect(await cursor.next()).toEqual({ _id: 0 });
      await cursor.next();
      server.killAllCursors();
      const error = await failure(cursor.next());
      expect(error?.code).toBe(43);
      await cursor.close().catch(() => {});
    });
  });

  it('streams changes, resumes a change stream itself after its cursor is lost, and reports history lost (286) past the oplog window', async () => {
    await withClient(writer, async (client) => {
      const feed = client.db('shop').collection<AnyDoc>('feed');
      const stream = feed.watch([], { fullDocument: 'updateLookup', maxAwaitTimeMS: 50 });
      expect(await stream.tryNext()).toBeNull();
      await feed.insertOne({ _id: new Int32(1), v: 'a' });
      await feed.updateOne({ _id: new Int32(1) }, { $set: { v: 'b' } });
      const insert = await stream.next();
      expect(insert).toMatchObject({ operationType: 'insert', documentKey: { _id: 1 }, fullDocument: { _id: 1, v: 'a' } });
      const update = await stream.next();
      expect(update).toMatchObject({
        operationType: 'update',
        fullDocument: { _id: 1, v: 'b' },
        updateDescription: { updatedFields: { v: 'b' } },
      });
      const token = stream.resumeToken;
      server.killAllCursors(); // CursorNotFound is resumable: the driver reopens with resumeAfter
      await feed.deleteOne({ _id: new Int32(1) });
      expect(await stream.next()).toMatchObject({ operationType: 'delete', documentKey: { _id: 1 } });
      await stream.close();

      await feed.insertOne({ _id: new Int32(2) });
      server.truncateOplog();
      const late = feed.watch([], { resumeAfter: token });
      const error = await failure(late.tryNext());
      expect(error?.code).toBe(286);
      expect(error?.errorLabels).toContain('NonResumableChangeStreamError');
      await late.close();
    });
  });
});
