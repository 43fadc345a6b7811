// PostgreSQL into Snowflake through the pipeline runner: source-postgres (the local server) into destination-snowflake
// on the stand-in, FULL_TABLE twice, so the second run updates rows and soft-deletes the one gone from the source
// (ACTIVATE_VERSION). numeric(38,12) keeps its scale: NUMBER holds 38 digits, so wider PostgreSQL numerics do not fit.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, pipeline, silentLogger } from '@mage-int/core';
import postgres from '@mage-int/source-postgres';
import type { SnowflakeStandIn } from '@mage-int/testkit';
import snowflake, { upperIdentifier } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const database = `mage_sf_pipeline_${randomBytes(4).toString('hex')}`;
let client: pg.Client;
let standIn: SnowflakeStandIn;
let config: Config;

beforeAll(async () => {
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  client = new pg.Client({ ...ADMIN, database });
  await client.connect();
  await client.query(`CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(38,12), placed_at timestamptz, attrs jsonb, note text);
    INSERT INTO orders VALUES
      (9007199254740993, 12345678901234567890123456.123456789012, '2024-02-29 23:59:59.999999+05:30', '{"gift": true, "n": 12345678901234567890}', 'first'),
      (2, 0.5, NULL, NULL, 'gone next time'),
      (3, -1, '1970-01-01 00:00:00+00', '[1, 2]', NULL);`);
  ({ standIn, config } = await standInConfig());
});
afterAll(async () => {
  await client?.end();
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await standIn?.close();
});

describe('PostgreSQL → Snowflake (on the stand-in)', () => {
  it('loads exact values, then updates and soft-deletes on the next full-table run', async () => {
    const stateStore = new MemoryStateStore();
    const run = () =>
      pipeline({
        id: 'pg_to_sf',
        source: { connector: postgres, config: { host: '127.0.0.1', port: 5432, database, username: 'postgres', schema: 'public' } },
        destination: { connector: snowflake, config },
        streams: { 'public-orders': { replication_method: 'FULL_TABLE' } },
        stateStore,
      }).run({ logger: silentLogger });
    const first = await run();
    expect(Object.fromEntries(Object.entries(first.streams).map(([name, s]) => [name, s.records]))).toEqual({ orders: 3 });
    const schema = upperIdentifier(config.schema);
    const table = (await standIn.tableNames(schema)).find((t) => !t.startsWith('_MAGE_')) as string;
    const byId = async () => Object.fromEntries((await standIn.rows(schema, table)).map((r) => [String(r['ID']), r]));
    const rows = await byId();
    expect(rows['9007199254740993']).toMatchObject({
      AMOUNT: '12345678901234567890123456.123456789012',
      PLACED_AT: '2024-02-29T18:29:59.999999Z',
      ATTRS: { gift: true, n: 12345678901234567890n },
      NOTE: 'first',
    });
    expect(standIn.statements.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS "${schema}"."${table}"`))).toMatch(
      /"AMOUNT" NUMBER\(38,12\)/,
    );

    await client.query(`DELETE FROM orders WHERE id = 2; UPDATE orders SET note = 'changed' WHERE id = 3;`);
    await run();
    const after = await byId();
    expect(after['3']).toMatchObject({ NOTE: 'changed', _SDC_DELETED_AT: null });
    expect(after['2']?.['_SDC_DELETED_AT']).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(after['9007199254740993']?.['_SDC_DELETED_AT']).toBeNull();
  }, 120_000);
});
