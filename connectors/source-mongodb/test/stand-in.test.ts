import { MongoClient, type MongoServerError, ObjectId, Decimal128, Long } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMongoStandIn, type MongoStandIn } from '@mage-int/testkit';

describe('MongoDB stand-in through the official driver', () => {
  let server: MongoStandIn;
  beforeAll(async () => {
    server = await startMongoStandIn({ users: [{ user: 'reader', password: 's3cret', roles: [{ role: 'readWrite', db: 'shop' }] }] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('authenticates with SCRAM-SHA-256, writes and reads back', async () => {
    const client = new MongoClient(server.url({ user: 'reader', password: 's3cret' }, 'shop'), { serverSelectionTimeoutMS: 3000 });
    try {
      const orders = client.db('shop').collection('orders');
      await orders.insertMany([
        { _id: new ObjectId(), n: 1, price: Decimal128.fromString('1.10') },
        { n: 2, big: Long.fromString('9007199254740993') },
      ]);
      const found = await orders.find({ n: { $gte: 2 } }).toArray();
      expect(found).toHaveLength(1);
      expect(String(found[0]?.['big'])).toBe('9007199254740993');
    } finally {
      await client.close();
    }
  });

  it('refuses a wrong password with code 18', async () => {
    const client = new MongoClient(server.url({ user: 'reader', password: 'wrong' }, 'shop'), { serverSelectionTimeoutMS: 3000 });
    try {
      const error = await client
        .db('shop')
        .command({ ping: 1 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as MongoServerError).code).toBe(18);
    } finally {
      await client.close();
    }
  });
});
