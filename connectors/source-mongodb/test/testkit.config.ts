// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup starts the MongoDB
// stand-in (tools/testkit/src/stand-ins/mongodb — not MongoDB; see the README for what was verified where) and seeds
// three collections; teardown stops it. The suite reads every stream FULL_TABLE and INCREMENTAL by its first
// valid-replication-key (`_id` here), with batch_size 4 so keyset pages cross runs of equal values:
//   customers  ObjectId keys, strings, nulls, booleans, dates, Int32
//   events     integer keys; occurred_at shared by twelve documents
//   type_zoo   one document per BSON type class (Decimal128, Int64 past 2^53, binary, UUID, nested, arrays)
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from 'mongodb';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { type AnyDoc, startTestServer } from './helpers.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const test = await startTestServer();
    try {
      const db = test.client.db('conformance');
      await db.collection<AnyDoc>('customers').insertMany(
        Array.from({ length: 25 }, (_, i) => ({
          _id: new ObjectId(),
          name: `customer ${i + 1}`,
          email: i % 5 === 0 ? null : `c${i + 1}@example.com`,
          active: i % 7 !== 0,
          updated_at: new Date(Date.UTC(2024, 0, 1, i, 0, 0, i)),
          score: new Int32(i * 3),
        })),
      );
      await db.collection<AnyDoc>('events').insertMany(
        Array.from({ length: 30 }, (_, i) => ({
          _id: new Int32(i + 1),
          occurred_at: i >= 4 && i < 16 ? new Date('2024-03-01T12:00:00.123Z') : new Date(Date.UTC(2024, 2, 1, 0, i)),
          kind: i % 2 === 0 ? 'click' : 'view',
          payload: { n: i, tags: ['a', i], price: Decimal128.fromString('12.50') },
        })),
      );
      await db.collection<AnyDoc>('type_zoo').insertMany([
        {
          _id: new Int32(1),
          oid: new ObjectId('65a1b2c3d4e5f60718293a4b'),
          dec: Decimal128.fromString('12345678901234567890.123456789012'),
          long: Long.fromString('9223372036854775807'),
          int: new Int32(-2147483648),
          dbl: new Double(0.1),
          flag: true,
          at: new Date('2024-02-29T23:59:59.999Z'),
          bin: new Binary(Buffer.from([0, 255, 16])),
          uuid: new UUID('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'),
          ts: new Timestamp({ t: 1700000000, i: 7 }),
          doc: { a: [1, 2.5, null], nested: { oid: new ObjectId('65a1b2c3d4e5f60718293a4c'), big: Long.fromString('18014398509481985') } },
          list: ['x', new Int32(1), { y: true }],
          text: 'tab\tnew\nline "q" \\ ☃ 😀',
        },
        {
          _id: new Int32(2),
          dec: Decimal128.fromString('-0.000000000000000000000000000001'),
          long: Long.fromNumber(-5),
          int: new Int32(0),
          dbl: new Double(1e308),
          flag: false,
          text: '',
        },
        { _id: new Int32(3) },
      ]);
    } catch (error) {
      await test.close();
      throw error;
    }
    return { config: test.config('conformance', { batch_size: 4 }), teardown: () => test.close() };
  },
});
