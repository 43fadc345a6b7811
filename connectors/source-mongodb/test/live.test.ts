// Against a real MongoDB, only when MONGODB_TEST_URL is set (a replica set or sharded cluster, so change streams work;
// a user that may create and drop a database); skipped, saying why, otherwise. It makes a database of its own, reads
// every type FULL_TABLE, INCREMENTAL across a run of equal values, and LOG_BASED (snapshot, then inserts, updates and
// deletes from the change stream), and drops the database.
import { emptyState, MessageGuard, type Catalog, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import { testContext } from '@mage-int/testkit';
import { Binary, Decimal128, Double, Int32, Long, MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongo, { type Config } from '../src/index.js';
import { type AnyDoc, discover, select } from './helpers.js';

const url = process.env['MONGODB_TEST_URL'];
const reason = url ? undefined : 'MONGODB_TEST_URL is not set';
if (reason)
  console.log(`source-mongodb live test skipped: ${reason} (set it to a replica set's connection string to run it against a real MongoDB)`);

const database = `mage_int_live_${process.pid}_${Date.now().toString(36)}`;
const config: Config = { connection_string: url ?? 'mongodb://127.0.0.1:1/', database, batch_size: 3, max_await_seconds: 0.5 };

async function read(catalog: Catalog, state: State): Promise<{ records: RecordData[]; state: State; messages: SourceMessage[] }> {
  const guard = new MessageGuard({ validateRecords: true });
  const ctx = testContext('source-mongodb live', 120_000);
  const out = { records: [] as RecordData[], state, messages: [] as SourceMessage[] };
  try {
    for await (const message of mongo.read(config as never, catalog, state, ctx)) {
      guard.check(message);
      out.messages.push(message);
      if (message.type === 'RECORD_BATCH') out.records.push(...message.records);
      if (message.type === 'STATE') out.state = message.value as State;
    }
  } finally {
    ctx.dispose();
  }
  return out;
}

describe.skipIf(reason !== undefined)('source-mongodb against a real MongoDB', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(url as string);
    await client.connect();
    const values = client.db(database).collection<AnyDoc>('values');
    await values.insertMany([
      {
        _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
        dec: Decimal128.fromString('12345678901234567890.123456789012'),
        long: Long.fromString('9223372036854775807'),
        int: new Int32(7),
        dbl: new Double(0.1),
        at: new Date('2024-02-29T23:59:59.999Z'),
        bin: new Binary(Buffer.from([0, 255, 16])),
        doc: { nested: { n: Long.fromString('18014398509481985') } },
        tie: new Date('2024-05-01T00:00:00Z'),
      },
      ...Array.from({ length: 8 }, (_, i) => ({ _id: new ObjectId(), int: new Int32(i), tie: new Date('2024-05-01T00:00:00Z') })),
    ]);
  });
  afterAll(async () => {
    await client?.db(database).dropDatabase();
    await client?.close();
  });

  it('checks and discovers', async () => {
    const result = await mongo.check(config as never, testContext('live check'));
    expect(result.ok, result.message).toBe(true);
    expect(result.message).toMatch(/LOG_BASED available/);
    const catalog = await discover(config);
    expect(catalog.streams.map((s) => s.stream)).toEqual(['values']);
  });

  it('reads every type exactly (FULL_TABLE) and crosses equal values (INCREMENTAL)', async () => {
    const catalog = await discover(config);
    const full = await read(select(catalog, { values: { method: 'FULL_TABLE' } }), emptyState());
    const first = full.records.find((r) => r['_id'] === '65a1b2c3d4e5f60718293a4b') as RecordData;
    expect(String(first['dec'])).toBe('12345678901234567890.123456789012');
    expect(first['long']).toBe(9223372036854775807n);
    expect(first['at']).toBe('2024-02-29T23:59:59.999Z');
    expect(first['bin']).toBe('AP8Q');
    expect(full.records).toHaveLength(9);
    const incremental = await read(select(catalog, { values: { method: 'INCREMENTAL', key: 'tie' } }), emptyState());
    expect(new Set(incremental.records.map((r) => r['_id'])).size).toBe(9);
  });

  it('snapshots, then follows inserts, updates and deletes through the change stream (LOG_BASED)', async () => {
    const catalog = select(await discover(config), { values: { method: 'LOG_BASED' } });
    const first = await read(catalog, emptyState());
    // The change stream starts at the snapshot's cluster time inclusively: a write at that very time may come twice.
    expect(new Set(first.records.map((r) => r['_id'])).size).toBe(9);
    const values = client.db(database).collection<AnyDoc>('values');
    await values.insertOne({ _id: new ObjectId(), int: new Int32(100) });
    await values.updateOne({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b') }, { $set: { int: new Int32(8) } });
    await values.deleteOne({ int: new Int32(0) });
    const second = await read(catalog, first.state);
    expect(second.records.filter((r) => r['_sdc_deleted_at'])).toHaveLength(1);
    expect(second.records.some((r) => r['int'] === 100)).toBe(true);
    expect(second.records.some((r) => r['_id'] === '65a1b2c3d4e5f60718293a4b' && r['int'] === 8)).toBe(true);
  });
});
