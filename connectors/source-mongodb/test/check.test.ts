import { Int32 } from 'mongodb';
import { emptyState } from '@mage-int/core';
import { startMongoStandIn, testContext } from '@mage-int/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongo, { type Config } from '../src/index.js';
import { type AnyDoc, discover, select, startTestServer, type TestServer } from './helpers.js';

let test: TestServer;
beforeAll(async () => {
  test = await startTestServer({
    users: [
      { user: 'reader', password: 'r', roles: [{ role: 'read', db: 'shop' }] },
      { user: 'stranger', password: 's', roles: [{ role: 'read', db: 'elsewhere' }] },
    ],
  });
  await test.client
    .db('shop')
    .collection<AnyDoc>('orders')
    .insertOne({ _id: new Int32(1) });
});
afterAll(async () => {
  await test?.close();
});

const check = (config: Config) => mongo.check(config as never, testContext('check'));

describe('check', () => {
  it('reports the server, the replica set and that LOG_BASED is available for a user with the read role', async () => {
    const result = await check(test.config('shop', { username: 'reader', password: 'r' }));
    expect(result).toEqual({
      ok: true,
      message: expect.stringMatching(/^connected to MongoDB .*\(replica set standin-rs\); LOG_BASED available$/),
    });
  });

  it('fails for a user without read privileges on the database, naming the missing actions', async () => {
    const result = await check(test.config('shop', { username: 'stranger', password: 's' }));
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/lacks find, listCollections on shop/);
  });

  it('fails on a wrong password, pointing at the credentials and auth_source', async () => {
    const result = await check(test.config('shop', { username: 'reader', password: 'nope' }));
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/authentication failed/);
    expect(result.message).toMatch(/auth_source/);
  });

  it('fails fast on a closed port, naming host and port', async () => {
    const result = await check({ host: '127.0.0.1', port: 1, database: 'shop', connect_timeout_seconds: 1 });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/cannot reach MongoDB/);
  });

  it('says LOG_BASED is unavailable on a standalone server, and read refuses it before reading', async () => {
    const standalone = await startMongoStandIn({ topology: 'standalone' });
    try {
      await standalone.documents('shop', 'orders');
      const config: Config = { host: '127.0.0.1', port: standalone.port, database: 'shop', max_await_seconds: 0.1 };
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(standalone.url());
      await client
        .db('shop')
        .collection<AnyDoc>('orders')
        .insertOne({ _id: new Int32(1) });
      await client.close();
      const result = await check(config);
      expect(result).toEqual({
        ok: true,
        message: expect.stringMatching(/\(standalone\); LOG_BASED unavailable: a standalone server has no change streams/),
      });
      const catalog = select(await discover(config), { orders: { method: 'LOG_BASED' } });
      const ctx = testContext('read');
      const error = await (async () => {
        for await (const _ of mongo.read(config as never, catalog, emptyState(), ctx)) void _;
      })().then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      ctx.dispose();
      expect(error?.code).toBe('LOG_BASED_NEEDS_REPLICA_SET');
    } finally {
      await standalone.close();
    }
  });

  it("takes Mage's names for the settings (user, authSource, authMechanism)", async () => {
    const { username: _u, password: _p, ...rest } = test.config('shop');
    const mage = { ...rest, user: 'reader', password: 'r', authSource: 'admin', authMechanism: 'SCRAM-SHA-256' } as Config;
    expect(await check(mage)).toMatchObject({ ok: true });
    expect(await check({ ...mage, authMechanism: 'SCRAM-SHA-1' } as Config)).toMatchObject({ ok: false });
  });

  it('refuses connection_string together with host settings', async () => {
    const result = await check({ connection_string: 'mongodb://127.0.0.1:1/', username: 'x', database: 'shop' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/connection_string is set, and so is username/);
  });
});
