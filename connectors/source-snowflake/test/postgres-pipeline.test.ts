// Snowflake into PostgreSQL through the pipeline runner: source-snowflake on the stand-in (results in chunks of 2
// rows), destination-postgres on the local server. What a user reads in PostgreSQL is what Snowflake held: NUMBER(38,12)
// as numeric(38,12) with every digit, µs timestamps (NTZ without a zone), VARIANT/OBJECT/ARRAY as jsonb with a
// 20-digit integer kept, BINARY as bytea.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, pipeline, silentLogger } from '@mage-int/core';
import postgres from '@mage-int/destination-postgres';
import type { SnowflakeSession } from '@mage-int/snowflake';
import type { SnowflakeStandIn } from '@mage-int/testkit';
import snowflake, { type Config } from '../src/index.js';
import { seededStandIn } from './seed.js';

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const database = `mage_sf_src_${randomBytes(4).toString('hex')}`;
let standIn: SnowflakeStandIn;
let config: Config;
let admin: SnowflakeSession;

beforeAll(async () => {
  const client = new pg.Client({ ...PG, database: 'postgres' });
  await client.connect();
  await client.query(`CREATE DATABASE ${database}`);
  await client.end();
  ({ standIn, config, admin } = await seededStandIn({ resultChunkRows: 2 }));
});
afterAll(async () => {
  await admin?.close();
  await standIn?.close();
  const client = new pg.Client({ ...PG, database: 'postgres' });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await client.end();
});

describe('Snowflake (stand-in) → PostgreSQL', () => {
  it('loads exact values, then only the changed rows incrementally', async () => {
    const stateStore = new MemoryStateStore();
    const run = () =>
      pipeline({
        id: 'sf_to_pg',
        source: { connector: snowflake, config: { ...config, batch_rows: 2 } },
        destination: { connector: postgres, config: { host: PG.host, port: PG.port, username: PG.user, database, schema: 'raw' } },
        streams: { ORDERS: { replication_method: 'INCREMENTAL', replication_key: 'UPDATED_AT' } },
        stateStore,
      }).run({ logger: silentLogger });
    const first = await run();
    expect(first.streams['ORDERS']?.records).toBe(4);
    const client = new pg.Client({ ...PG, database });
    await client.connect();
    try {
      await client.query(`SET timezone = 'UTC'`);
      const types = await client.query(
        `SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'orders' ORDER BY ordinal_position`,
      );
      const typeOf = Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]));
      expect(typeOf).toMatchObject({
        id: 'bigint',
        amount: 'numeric',
        rate: 'double precision',
        created_ntz: 'timestamp without time zone',
        updated_at: 'timestamp with time zone',
        placed_tz: 'timestamp with time zone',
        day: 'date',
        attrs: 'jsonb',
        raw: 'bytea',
      });
      expect(types.rows.find((r) => r.column_name === 'amount')).toMatchObject({ numeric_precision: 38, numeric_scale: 12 });
      const { rows } = await client.query(
        `SELECT id, big::text AS big, amount::text AS amount, rate, note, paid, day::text AS day, at_time::text AS at_time,
           to_char(created_ntz, 'YYYY-MM-DD HH24:MI:SS.US') AS created_ntz, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at,
           to_char(placed_tz, 'YYYY-MM-DD HH24:MI:SS.US') AS placed_tz, attrs::text AS attrs, meta::text AS meta, tags::text AS tags,
           encode(raw, 'hex') AS raw FROM raw.orders ORDER BY id`,
      );
      expect(rows[0]).toEqual({
        id: '1',
        big: '9223372036854775807',
        amount: '12345678901234567890123456.123456789012',
        rate: 1.5,
        note: 'first',
        paid: true,
        day: '2024-02-29',
        at_time: '23:59:59.123456',
        created_ntz: '2024-01-01 00:00:00.000001',
        updated_at: '2024-01-01 00:00:00.000001',
        placed_tz: '2024-03-01 12:00:00.500000',
        attrs: '{"n": 12345678901234567890, "x": [1, "a"]}',
        meta: '{"k": "v"}',
        tags: '[1, 2]',
        raw: '00ff10',
      });
      expect(rows[1]).toMatchObject({
        big: null,
        amount: '0.500000000000',
        note: 'it\'s "quoted"',
        created_ntz: '1969-12-31 23:59:59.500000',
        attrs: '"text"',
      });
      expect(rows.map((r) => r.id)).toEqual(['1', '2', '3', '4']);

      await admin.query(
        `UPDATE "SALES"."ORDERS" SET "NOTE" = 'changed', "UPDATED_AT" = CAST('2024-05-01 00:00:00' AS TIMESTAMP_LTZ(9)) WHERE "ID" = 2`,
        'change',
      );
      const second = await run();
      // From the bookmark, inclusive: the two rows at the old bookmark value and the changed one.
      expect(second.streams['ORDERS']?.records).toBe(3);
      const after = await client.query(`SELECT id, note FROM raw.orders ORDER BY id`);
      expect(after.rows).toEqual([
        { id: '1', note: 'first' },
        { id: '2', note: 'changed' },
        { id: '3', note: null },
        { id: '4', note: 'four' },
      ]);
    } finally {
      await client.end();
    }
  }, 120_000);
});
