// Against the real Snowflake, only when SNOWFLAKE_TEST_ACCOUNT, SNOWFLAKE_TEST_USER, SNOWFLAKE_TEST_WAREHOUSE,
// SNOWFLAKE_TEST_DATABASE and SNOWFLAKE_TEST_PASSWORD (or SNOWFLAKE_TEST_PRIVATE_KEY_PATH, optionally with
// SNOWFLAKE_TEST_PRIVATE_KEY_PASSPHRASE) are set, optionally SNOWFLAKE_TEST_ROLE; skipped, saying why, otherwise. The
// role needs CREATE SCHEMA on the database. It makes a schema of its own with a typed table (and 30,000 generated rows,
// so the result comes in several chunks), discovers and reads it back, incrementally too, and drops the schema.
// Costs a few seconds of the warehouse's time (an XS warehouse suffices; it resumes and auto-suspends).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Decimal, emptyState, getMetadata, setMetadata, silentLogger } from '@mage-int/core';
import { SnowflakeSession, snowflakeConnectionOptions } from '@mage-int/snowflake';
import { readAll } from '@mage-int/testkit';
import snowflakeSource, { type Config } from '../src/index.js';

const env = (name: string) => process.env[`SNOWFLAKE_TEST_${name}`];
const missing = ['ACCOUNT', 'USER', 'WAREHOUSE', 'DATABASE'].filter((n) => !env(n));
const reason =
  missing.length > 0
    ? `SNOWFLAKE_TEST_${missing.join(', SNOWFLAKE_TEST_')} not set`
    : !env('PASSWORD') && !env('PRIVATE_KEY_PATH')
      ? 'neither SNOWFLAKE_TEST_PASSWORD nor SNOWFLAKE_TEST_PRIVATE_KEY_PATH is set'
      : undefined;
if (reason) console.log(`source-snowflake live test skipped: ${reason} (set them to run it against the real Snowflake)`);

const schema = `MAGE_INT_LIVE_SRC_${process.pid}_${Date.now().toString(36).toUpperCase()}`;
const config: Config = {
  account: env('ACCOUNT') ?? '',
  user: env('USER') ?? '',
  warehouse: env('WAREHOUSE') ?? '',
  database: env('DATABASE') ?? '',
  schema,
  ...(env('ROLE') ? { role: env('ROLE') as string } : {}),
  ...(env('PASSWORD') ? { password: env('PASSWORD') as string } : {}),
  ...(env('PRIVATE_KEY_PATH') ? { private_key_path: env('PRIVATE_KEY_PATH') as string } : {}),
  ...(env('PRIVATE_KEY_PASSPHRASE') ? { private_key_passphrase: env('PRIVATE_KEY_PASSPHRASE') as string } : {}),
  batch_rows: 5000,
};
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

describe.skipIf(reason !== undefined)('source-snowflake against the real Snowflake', () => {
  let admin: SnowflakeSession;
  beforeAll(async () => {
    admin = await SnowflakeSession.open(snowflakeConnectionOptions(config), {
      logger: silentLogger,
      setup: ["ALTER SESSION SET TIMEZONE = 'UTC'"],
    });
    await admin.query(`CREATE SCHEMA "${schema}"`, 'setup');
    await admin.query(
      `CREATE TABLE "${schema}"."ORDERS" ("ID" NUMBER(38,0) NOT NULL, "BIG" NUMBER(38,0), "AMOUNT" NUMBER(38,12), "AT" TIMESTAMP_TZ(9), "NTZ" TIMESTAMP_NTZ(9), "T" TIME(9), "ATTRS" VARIANT, "META" OBJECT, "RAW" BINARY, PRIMARY KEY ("ID"))`,
      'setup',
    );
    await admin.query(
      `INSERT INTO "${schema}"."ORDERS" SELECT 1, 99999999999999999999999999999999999999, 12345678901234567890123456.123456789012, '2024-02-29 23:59:59.999999 +05:30'::TIMESTAMP_TZ, '2024-01-01 00:00:00.000001', '23:59:59.123456', PARSE_JSON('{"n": 12345678901234567890}'), OBJECT_CONSTRUCT('k', 'v'), TO_BINARY('00FF10', 'HEX')`,
      'setup',
    );
    await admin.query(
      `INSERT INTO "${schema}"."ORDERS" ("ID", "AMOUNT", "AT") SELECT SEQ4() + 2, 0.5, '2024-03-01 00:00:00 +00:00'::TIMESTAMP_TZ FROM TABLE(GENERATOR(ROWCOUNT => 30000))`,
      'setup',
    );
  }, 120_000);
  afterAll(async () => {
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, 'teardown');
    await admin?.close();
  });

  it('discovers the table and reads every row back exactly, the result in chunks', async () => {
    const catalog = await snowflakeSource.discover(config, ctx());
    const orders = catalog.streams.find((s) => s.tap_stream_id === 'ORDERS');
    expect(orders?.key_properties).toEqual(['ID']);
    expect(getMetadata(orders as never, ['properties', 'AMOUNT'])['sql-datatype']).toBe('NUMBER(38,12)');
    for (const s of catalog.streams) setMetadata(s, [], { selected: s === orders });
    const result = await readAll(snowflakeSource, config, catalog, emptyState());
    const rows = result.records.get('ORDERS') ?? [];
    expect(rows.length).toBe(30001);
    const first = rows.find((r) => r['ID'] === 1);
    expect(first).toMatchObject({
      BIG: 99999999999999999999999999999999999999n,
      AT: '2024-02-29T18:29:59.999999Z',
      NTZ: '2024-01-01T00:00:00.000001',
      T: '23:59:59.123456',
      META: { k: 'v' },
      RAW: Buffer.from([0, 255, 16]).toString('base64'),
    });
    expect((first?.['AMOUNT'] as Decimal).text).toBe('12345678901234567890123456.123456789012');
    expect(String((first?.['ATTRS'] as { text: string }).text)).toContain('12345678901234567890');
  }, 300_000);

  it('reads incrementally from the bookmark', async () => {
    const catalog = await snowflakeSource.discover(config, ctx());
    for (const s of catalog.streams)
      setMetadata(s, [], { selected: s.tap_stream_id === 'ORDERS', 'replication-method': 'INCREMENTAL', 'replication-key': 'AT' });
    const result = await readAll(snowflakeSource, config, catalog, {
      bookmarks: { ORDERS: { replication_key: 'AT', replication_key_value: '2024-03-01T00:00:00Z' } },
    });
    expect((result.records.get('ORDERS') ?? []).length).toBe(30000);
  }, 300_000);
});
