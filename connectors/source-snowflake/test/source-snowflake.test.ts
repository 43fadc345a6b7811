// source-snowflake against the Snowflake stand-in (tools/testkit: DuckDB behind the protocol snowflake-sdk speaks;
// results typed and split into downloaded chunks as Snowflake documents them): discovery from INFORMATION_SCHEMA,
// exact values of every type, results streamed chunk by chunk, incremental with a tie-breaker, resumable full
// table, query streams, key-pair login, and the errors a user meets (password, warehouse, an ended session).
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Decimal, emptyState, formatError, getMetadata, setMetadata, silentLogger, type Catalog, type State } from '@mage-int/core';
import type { SnowflakeSession } from '@mage-int/snowflake';
import { readAll, type SnowflakeStandIn } from '@mage-int/testkit';
import snowflakeSource, { type Config } from '../src/index.js';
import { seededStandIn } from './seed.js';

const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

function select(catalog: Catalog, stream: string, incremental?: string): Catalog {
  for (const entry of catalog.streams) {
    setMetadata(entry, [], { selected: entry.tap_stream_id === stream });
    if (entry.tap_stream_id === stream && incremental)
      setMetadata(entry, [], { 'replication-method': 'INCREMENTAL', 'replication-key': incremental });
  }
  return catalog;
}

describe('source-snowflake against the Snowflake stand-in', () => {
  let standIn: SnowflakeStandIn;
  let config: Config;
  let admin: SnowflakeSession;
  beforeAll(async () => {
    ({ standIn, config, admin } = await seededStandIn({ resultChunkRows: 2 }));
    config = {
      ...config,
      batch_rows: 2,
      queries: [
        {
          name: 'recent',
          sql: 'SELECT "ID", "UPDATED_AT", "AMOUNT" FROM "SALES"."ORDERS" WHERE "ID" > 1',
          key_properties: ['ID'],
          replication_key: 'UPDATED_AT',
        },
      ],
    };
  });
  afterAll(async () => {
    await admin?.close();
    await standIn?.close();
  });

  it('discovers tables from INFORMATION_SCHEMA: declared key, Snowflake types as JSON Schema and sql-datatype, query streams', async () => {
    const catalog = await snowflakeSource.discover(config, ctx());
    const orders = catalog.streams.find((s) => s.tap_stream_id === 'ORDERS');
    expect(orders?.key_properties).toEqual(['ID']);
    const p = orders?.schema.properties ?? {};
    expect(p['ID']).toEqual({ type: 'integer', 'sql-datatype': 'NUMBER(38,0)' });
    expect(p['AMOUNT']).toEqual({ type: ['null', 'number'], multipleOf: 1e-12, 'x-precision': 38, 'sql-datatype': 'NUMBER(38,12)' });
    expect(p['RATE']).toEqual({ type: ['null', 'number'], 'sql-datatype': 'FLOAT' });
    expect(p['NOTE']).toEqual({ type: ['null', 'string'], maxLength: 100, 'sql-datatype': 'VARCHAR(100)' });
    expect(p['RAW']).toEqual({ type: ['null', 'string'], contentEncoding: 'base64', 'sql-datatype': 'BINARY' });
    expect(p['AT_TIME']).toMatchObject({ format: 'time', 'sql-datatype': 'TIME(9)' });
    expect(p['CREATED_NTZ']).toMatchObject({ format: 'date-time', 'sql-datatype': 'TIMESTAMP_NTZ(9)' });
    expect(p['UPDATED_AT']).toMatchObject({ format: 'date-time', 'sql-datatype': 'TIMESTAMP_LTZ(9)' });
    expect(p['PLACED_TZ']).toMatchObject({ format: 'date-time', 'sql-datatype': 'TIMESTAMP_TZ(9)' });
    expect(p['ATTRS']).toEqual({ 'sql-datatype': 'VARIANT' });
    expect(p['META']).toEqual({ type: ['null', 'object'], 'sql-datatype': 'OBJECT' });
    expect(p['TAGS']).toEqual({ type: ['null', 'array'], 'sql-datatype': 'ARRAY' });
    const md = getMetadata(orders as never);
    expect(md['valid-replication-keys']).toEqual([
      'ID',
      'BIG',
      'AMOUNT',
      'RATE',
      'NOTE',
      'DAY',
      'AT_TIME',
      'CREATED_NTZ',
      'UPDATED_AT',
      'PLACED_TZ',
    ]);
    expect(md).toMatchObject({ 'database-name': standIn.database, 'schema-name': 'SALES', 'row-count': 4 });
    const recent = catalog.streams.find((s) => s.tap_stream_id === 'recent');
    expect(recent?.key_properties).toEqual(['ID']);
    expect(recent?.schema.properties?.['AMOUNT']).toMatchObject({ 'sql-datatype': 'NUMBER(38,12)' });
    expect(getMetadata(recent as never)['replication-key']).toBe('UPDATED_AT');
  });

  it('reads every type exactly, the result streamed in chunks downloaded as the rows are consumed', async () => {
    const catalog = select(await snowflakeSource.discover(config, ctx()), 'ORDERS');
    const chunksBefore = standIn.requestsTo(/^\/stand-in\/result-chunks\//).length;
    const result = await readAll(snowflakeSource, config, catalog, emptyState());
    const rows = result.records.get('ORDERS') ?? [];
    expect(rows.map((r) => r['ID'])).toEqual([1, 2, 3, 4]);
    const [first, second] = rows;
    expect(first).toMatchObject({
      BIG: 9223372036854775807n,
      RATE: 1.5,
      NOTE: 'first',
      PAID: true,
      DAY: '2024-02-29',
      AT_TIME: '23:59:59.123456',
      CREATED_NTZ: '2024-01-01T00:00:00.000001',
      UPDATED_AT: '2024-01-01T00:00:00.000001Z',
      PLACED_TZ: '2024-03-01T12:00:00.500000Z',
      META: { k: 'v' },
      TAGS: [1, 2],
      RAW: Buffer.from([0x00, 0xff, 0x10]).toString('base64'),
    });
    expect((first?.['AMOUNT'] as Decimal).text).toBe('12345678901234567890123456.123456789012');
    expect(String((first?.['ATTRS'] as { text: string }).text)).toBe('{"n": 12345678901234567890, "x": [1, "a"]}');
    expect(second).toMatchObject({
      BIG: null,
      AMOUNT: 0.5,
      NOTE: 'it\'s "quoted"',
      PAID: false,
      CREATED_NTZ: '1969-12-31T23:59:59.500000',
    });
    expect(String((second?.['ATTRS'] as { text: string }).text)).toBe('"text"');
    // 4 rows in parts of 2: the second part came by its URL, with the query's key.
    const chunks = standIn.requestsTo(/^\/stand-in\/result-chunks\//).slice(chunksBefore);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.status === 200 && typeof c.headers['x-amz-server-side-encryption-customer-key'] === 'string')).toBe(true);
  });

  it('holds only a few chunks of a large result: chunks are asked for as the records are taken', async () => {
    await admin.query('CREATE TABLE "SALES"."EVENTS" ("ID" NUMBER(38,0) NOT NULL, "V" VARCHAR, PRIMARY KEY ("ID"))', 'seed');
    await admin.query(`INSERT INTO "SALES"."EVENTS" SELECT range, 'v' || range FROM range(0, 3000)`, 'seed');
    const big = { ...config, queries: [], batch_rows: 100 };
    const catalog = select(await snowflakeSource.discover(big, ctx()), 'EVENTS');
    const chunkRequests = () => standIn.requestsTo(/^\/stand-in\/result-chunks\//).length;
    const before = chunkRequests();
    let seen = 0;
    let chunksAfterFirstBatch = 0;
    for await (const message of snowflakeSource.read(big, catalog, emptyState(), ctx())) {
      if (message.type !== 'RECORD' && message.type !== 'RECORD_BATCH') continue;
      seen += message.type === 'RECORD' ? 1 : message.records.length;
      if (chunksAfterFirstBatch === 0) chunksAfterFirstBatch = chunkRequests() - before;
    }
    expect(seen).toBe(3000);
    // 1,499 chunks of 2 rows after the inline part (and a few of the discovery queries' results); the first batch of
    // 100 rows needed ~50 of them, the sdk reads a few ahead.
    expect(chunkRequests() - before).toBeGreaterThanOrEqual(1499);
    expect(chunksAfterFirstBatch).toBeLessThan(200);
  }, 60_000);

  it('reads incrementally by a column with the key breaking ties, resumes from the bookmark and reads nothing past it', async () => {
    const catalog = select(await snowflakeSource.discover(config, ctx()), 'ORDERS', 'UPDATED_AT');
    const first = await readAll(snowflakeSource, config, catalog, emptyState());
    expect((first.records.get('ORDERS') ?? []).map((r) => r['ID'])).toEqual([1, 2, 3, 4]);
    expect(first.finalState.bookmarks['ORDERS']).toMatchObject({
      replication_key: 'UPDATED_AT',
      replication_key_value: '2024-01-03T12:30:00.123456Z',
    });
    const second = await readAll(snowflakeSource, config, catalog, first.finalState);
    expect((second.records.get('ORDERS') ?? []).map((r) => r['ID'])).toEqual([3, 4]);
    // Rows 3 and 4 share the bookmark value: a sync stopped after row 3 continues with row 4 only.
    const afterThree: State = {
      bookmarks: {
        ORDERS: { replication_key: 'UPDATED_AT', replication_key_value: '2024-01-03T12:30:00.123456Z', replication_key_pk: { ID: 3 } },
      },
    };
    const before = standIn.statements.length;
    const resumed = await readAll(snowflakeSource, config, catalog, afterThree);
    expect((resumed.records.get('ORDERS') ?? []).map((r) => r['ID'])).toEqual([4]);
    expect(standIn.statements.slice(before).find((s) => s.includes('FROM "MAGE_TEST_DB"."SALES"."ORDERS" WHERE'))).toMatch(
      /WHERE \(\("UPDATED_AT" > CAST\('2024-01-03T12:30:00.123456Z' AS TIMESTAMP_LTZ\(9\)\)\) OR \("UPDATED_AT" = CAST\('2024-01-03T12:30:00.123456Z' AS TIMESTAMP_LTZ\(9\)\) AND "ID" > CAST\('3' AS NUMBER\(38,0\)\)\)\) ORDER BY "UPDATED_AT", "ID"$/,
    );
    const query = select(await snowflakeSource.discover(config, ctx()), 'recent', 'UPDATED_AT');
    const fromQuery = await readAll(snowflakeSource, config, query, {
      bookmarks: { recent: { replication_key: 'UPDATED_AT', replication_key_value: '2024-01-02T00:00:00Z' } },
    });
    expect((fromQuery.records.get('recent') ?? []).map((r) => r['ID'])).toEqual([2, 3, 4]);
  });

  it('resumes an interrupted full-table sync after the last committed key, under the same version', async () => {
    const catalog = select(await snowflakeSource.discover(config, ctx()), 'ORDERS');
    let saved: State | undefined;
    const firstIds: unknown[] = [];
    for await (const message of snowflakeSource.read(config, catalog, emptyState(), ctx())) {
      if (message.type === 'RECORD') firstIds.push(message.record['ID']);
      if (message.type === 'RECORD_BATCH') firstIds.push(...message.records.map((r) => r['ID']));
      if (message.type === 'STATE' && (message.value as State).bookmarks['ORDERS']?.last_pk_fetched) {
        saved = message.value as State;
        break;
      }
    }
    expect(firstIds).toEqual([1, 2]);
    const version = saved?.bookmarks['ORDERS']?.version;
    expect(saved).toEqual({ currently_syncing: 'ORDERS', bookmarks: { ORDERS: { version, last_pk_fetched: { ID: 2 } } } });
    const before = standIn.statements.length;
    const resumed = await readAll(snowflakeSource, config, catalog, JSON.parse(JSON.stringify(saved)) as State);
    expect((resumed.records.get('ORDERS') ?? []).map((r) => r['ID'])).toEqual([3, 4]);
    expect(standIn.statements.slice(before).find((s) => s.includes('FROM "MAGE_TEST_DB"."SALES"."ORDERS"'))).toMatch(
      /WHERE \("ID" > CAST\('2' AS NUMBER\(38,0\)\)\) ORDER BY "ID" NULLS FIRST$/,
    );
    expect(resumed.finalState).toEqual({ currently_syncing: null, bookmarks: { ORDERS: { version } } });
  });

  it('names tables by the database as Snowflake has it, also when `database` is given in lower case (an unquoted name)', async () => {
    const lower = { ...config, database: config.database.toLowerCase(), queries: [] };
    const catalog = select(await snowflakeSource.discover(lower, ctx()), 'ORDERS');
    expect(getMetadata(catalog.streams.find((s) => s.tap_stream_id === 'ORDERS') as never)['database-name']).toBe(standIn.database);
    const result = await readAll(snowflakeSource, lower, catalog, emptyState());
    expect((result.records.get('ORDERS') ?? []).length).toBe(4);
  });

  it('logs in with a key pair, and refuses a key the user does not have', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    standIn.addUser('keyed', { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const { password: _, ...base } = config;
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(await snowflakeSource.check({ ...base, user: 'keyed', private_key: pem }, ctx())).toMatchObject({ ok: true });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const refused = await snowflakeSource.check({ ...base, user: 'keyed', private_key: other }, ctx());
    expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/390144/) });
    expect(formatError(refused.error)).toMatch(/RSA_PUBLIC_KEY/);
  });

  it('names the setting: a wrong password, a warehouse that is not there, a missing schema, no credentials', async () => {
    const wrong = await snowflakeSource.check({ ...config, password: 'nope' }, ctx());
    expect(wrong).toMatchObject({ ok: false, message: expect.stringMatching(/390100/) });
    expect(formatError(wrong.error)).toMatch(/`user` and `password`/);
    const noWarehouse = await snowflakeSource.check({ ...config, warehouse: 'NO_SUCH_WH' }, ctx());
    expect(noWarehouse.ok).toBe(false);
    expect(formatError(noWarehouse.error)).toMatch(/warehouse NO_SUCH_WH is not in use[\s\S]*`warehouse`/);
    const noSchema = await snowflakeSource.check({ ...config, schema: 'nowhere' }, ctx());
    expect(formatError(noSchema.error)).toMatch(/no schema nowhere[\s\S]*`schema`/);
    const wrongDatabase = await snowflakeSource.check({ ...config, database: 'NO_SUCH_DB' }, ctx());
    expect(formatError(wrongDatabase.error)).toMatch(/390201[\s\S]*`database`/);
    const { password: _, ...noCredentials } = config;
    expect((await snowflakeSource.check(noCredentials, ctx())).message).toMatch(/password, or private_key_path/);
  });

  it('renews an expired session token, and logs in again when the session is gone for good', async () => {
    const catalog = select(await snowflakeSource.discover(config, ctx()), 'ORDERS');
    const logins = () => standIn.requestsTo('/session/v1/login-request').length;
    const renewals = () => standIn.requestsTo('/session/token-request').length;
    let expired = false;
    const ids: unknown[] = [];
    const [loginsBefore, renewalsBefore] = [logins(), renewals()];
    for await (const message of snowflakeSource.read({ ...config, queries: [] }, catalog, emptyState(), ctx())) {
      if (message.type === 'SCHEMA' && !expired) {
        // Between discovery and the table's query: the master token too, so renewal is refused (390114).
        standIn.expireMasterTokens();
        expired = true;
      }
      if (message.type === 'RECORD') ids.push(message.record['ID']);
      if (message.type === 'RECORD_BATCH') ids.push(...message.records.map((r) => r['ID']));
    }
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(renewals()).toBeGreaterThan(renewalsBefore);
    expect(logins()).toBe(loginsBefore + 2);
  });
});
