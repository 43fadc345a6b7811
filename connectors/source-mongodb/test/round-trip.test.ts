// Every BSON type through the runner into PostgreSQL and DuckDB (real engines), read from the MongoDB stand-in through
// the real driver: the values a user reads there are the collection's. Then LOG_BASED changes into PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore, runPipeline, silentLogger, type Catalog } from '@mage-int/core';
import duckdb from '@mage-int/destination-duckdb';
import postgres from '@mage-int/destination-postgres';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongo from '../src/index.js';
import { type AnyDoc, discover, select, startTestServer, type TestServer } from './helpers.js';

let test: TestServer;
const pgName = `mage_src_mongo_rt_${randomBytes(4).toString('hex')}`;
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const dir = mkdtempSync(join(tmpdir(), 'mage-src-mongo-rt-'));

beforeAll(async () => {
  test = await startTestServer();
  await test.client
    .db('zoo')
    .collection<AnyDoc>('values')
    .insertMany([
      {
        _id: new Int32(1),
        oid: new ObjectId('65a1b2c3d4e5f60718293a4b'),
        dec: Decimal128.fromString('12345678901234567890.123456789012'),
        scaled: Decimal128.fromString('1.10'),
        long: Long.fromString('9223372036854775807'),
        int: new Int32(-2147483648),
        dbl: new Double(0.1),
        flag: true,
        at: new Date('2024-02-29T23:59:59.999Z'),
        bin: new Binary(Buffer.from([0, 255, 16])),
        uuid: new UUID('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'),
        ts: new Timestamp({ t: 1700000000, i: 7 }),
        doc: {
          a: [new Int32(1), new Double(2.5), null],
          nested: { oid: new ObjectId('65a1b2c3d4e5f60718293a4c'), big: Long.fromString('18014398509481985') },
        },
        list: ['x', new Int32(1), { y: true }],
        mixed: new Int32(5),
        text: 'tab\tnew\nline "q" \\ ☃ 😀',
      },
      { _id: new Int32(2), mixed: 'five', dec: Decimal128.fromString('-0.000000000000000000000000000001') },
    ]);
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pgName}`);
  await admin.end();
});
afterAll(async () => {
  await test?.close();
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

async function pgRows(sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ ...PG, database: pgName });
  await client.connect();
  try {
    await client.query(`SET timezone = 'UTC'`);
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('MongoDB (stand-in) → PostgreSQL and DuckDB', () => {
  it('PostgreSQL holds every value exactly, in the column type the mapping names', async () => {
    await runPipeline({
      pipelineId: 'mongo-rt-pg',
      source: mongo,
      sourceConfig: test.config('zoo'),
      destination: postgres,
      destinationConfig: { host: PG.host, port: PG.port, username: PG.user, database: pgName, schema: 'rt' },
      logger: silentLogger,
    });
    const rows = await pgRows(
      `SELECT _id::text AS id, oid, dec::text AS dec, scaled::text AS scaled, long::text AS long, int::text AS int, dbl::text AS dbl,
              flag::text AS flag, to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS') AS at, encode(bin, 'hex') AS bin, uuid::text AS uuid,
              ts::text AS ts, doc::text AS doc, list::text AS list, mixed::text AS mixed, text
       FROM rt.values ORDER BY _id`,
    );
    expect(rows[0]).toEqual({
      id: '1',
      oid: '65a1b2c3d4e5f60718293a4b',
      dec: '12345678901234567890.123456789012',
      scaled: '1.10',
      long: '9223372036854775807',
      int: '-2147483648',
      dbl: '0.1',
      flag: 'true',
      at: '2024-02-29 23:59:59.999',
      bin: '00ff10',
      uuid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      ts: '{"i": 7, "t": 1700000000}',
      doc: '{"a": [1, 2.5, null], "nested": {"big": 18014398509481985, "oid": "65a1b2c3d4e5f60718293a4c"}}',
      list: '["x", 1, {"y": true}]',
      mixed: '5',
      text: 'tab\tnew\nline "q" \\ ☃ 😀',
    });
    expect(rows[1]).toMatchObject({ id: '2', mixed: '"five"', dec: '-0.000000000000000000000000000001', oid: null, at: null, doc: null });
    const types = await pgRows(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'rt' AND table_name = 'values' AND column_name NOT LIKE '\\_sdc%'`,
    );
    expect(Object.fromEntries(types.map((t) => [t['column_name'], t['data_type']]))).toMatchObject({
      _id: 'bigint',
      oid: 'text',
      dec: 'numeric',
      long: 'bigint',
      dbl: 'numeric',
      flag: 'boolean',
      at: 'timestamp with time zone',
      bin: 'bytea',
      uuid: 'uuid',
      doc: 'jsonb',
      mixed: 'jsonb',
    });
  }, 60_000);

  it('DuckDB holds every value exactly', async () => {
    const path = join(dir, 'rt.duckdb');
    await runPipeline({
      pipelineId: 'mongo-rt-duck',
      source: mongo,
      sourceConfig: test.config('zoo'),
      destination: duckdb,
      destinationConfig: { path },
      logger: silentLogger,
    });
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.fromCache(path);
    const connection = await instance.connect();
    try {
      const rows = (
        await connection.runAndReadAll(
          `SELECT _id::VARCHAR AS id, oid, dec::VARCHAR AS dec, long::VARCHAR AS long, dbl::VARCHAR AS dbl,
                  strftime("at", '%Y-%m-%d %H:%M:%S.%g') AS "at", hex(bin) AS bin, uuid::VARCHAR AS uuid, text
           FROM "values" ORDER BY _id`,
        )
      ).getRowObjectsJson();
      expect(rows[0]).toEqual({
        id: '1',
        oid: '65a1b2c3d4e5f60718293a4b',
        dec: '12345678901234567890.123456789012',
        long: '9223372036854775807',
        dbl: '0.1',
        at: '2024-02-29 23:59:59.999',
        bin: '00FF10',
        uuid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        text: 'tab\tnew\nline "q" \\ ☃ 😀',
      });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 60_000);

  it('LOG_BASED through the runner: the PostgreSQL copy follows inserts, updates and deletes (hard delete)', async () => {
    const orders = test.client.db('shop').collection<AnyDoc>('orders');
    await orders.insertMany(
      Array.from({ length: 20 }, (_, i) => ({ _id: new ObjectId(), n: new Int32(i), price: Decimal128.fromString(`${i}.50`) })),
    );
    const config = test.config('shop', { batch_size: 7 });
    const catalog: Catalog = select(await discover(config), { orders: { method: 'LOG_BASED' } });
    const stateStore = new FileStateStore(join(dir, 'state'));
    const run = () =>
      runPipeline({
        pipelineId: 'mongo-rt-cdc',
        source: mongo,
        sourceConfig: config,
        destination: postgres,
        destinationConfig: { host: PG.host, port: PG.port, username: PG.user, database: pgName, schema: 'cdc', hard_delete: true },
        catalog,
        stateStore,
        logger: silentLogger,
      });
    await run();
    const victims = await orders.find({ n: { $lt: 3 } }).toArray();
    await orders.deleteMany({ n: { $lt: 3 } });
    await orders.updateOne({ n: new Int32(10) }, { $set: { price: Decimal128.fromString('99.99') } });
    await orders.insertOne({ _id: new ObjectId(), n: new Int32(100), price: Decimal128.fromString('0.01') });
    await run();
    const rows = await pgRows(`SELECT _id, n::int AS n, price::text AS price FROM cdc.orders ORDER BY n`);
    const source = await orders.find().sort({ n: 1 }).toArray();
    expect(rows).toEqual(source.map((d) => ({ _id: (d._id as ObjectId).toHexString(), n: Number(d['n']), price: String(d['price']) })));
    expect(rows.some((r) => victims.some((v) => (v._id as ObjectId).toHexString() === r['_id']))).toBe(false);
    expect(rows.find((r) => r['n'] === 10)?.['price']).toBe('99.99');
  }, 60_000);
});
