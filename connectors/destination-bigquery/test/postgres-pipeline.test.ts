// The mission's quick start: PostgreSQL into BigQuery with `{project_id, dataset, path_to_credentials_json_file}`,
// here source-postgres (the local server) into destination-bigquery on the stand-in, through the pipeline runner —
// FULL_TABLE twice, so the second run updates rows and soft-deletes the one gone from the source (ACTIVATE_VERSION).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, pipeline, silentLogger } from '@mage-int/core';
import postgres from '@mage-int/source-postgres';
import type { BigQueryStandIn } from '@mage-int/testkit';
import bigquery from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const database = `mage_bq_pipeline_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'mage-bq-pipeline-'));
let client: pg.Client;
let standIn: BigQueryStandIn;
let config: Config;

beforeAll(async () => {
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  client = new pg.Client({ ...ADMIN, database });
  await client.connect();
  await client.query(`CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(40,12), placed_at timestamptz, attrs jsonb, note text);
    INSERT INTO orders VALUES
      (9007199254740993, 1234567890123456789012345678.123456789012, '2024-02-29 23:59:59.999999+05:30', '{"gift": true, "n": 12345678901234567890}', 'first'),
      (2, 0.5, NULL, NULL, 'gone next time'),
      (3, -1, '1970-01-01 00:00:00+00', '[1, 2]', NULL);`);
  ({ standIn, config } = await standInConfig());
  // As the quick start has it: the key in a file, named by path_to_credentials_json_file.
  const keyFile = join(dir, 'service-account.json');
  writeFileSync(keyFile, config.credentials_json as string);
  const { credentials_json: _, ...rest } = config;
  config = { ...rest, path_to_credentials_json_file: keyFile };
});
afterAll(async () => {
  await client?.end();
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await standIn?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL → BigQuery (the quick start, on the stand-in)', () => {
  it('loads exact values, then updates and soft-deletes on the next full-table run', async () => {
    const stateStore = new MemoryStateStore();
    const run = () =>
      pipeline({
        id: 'pg_to_bq',
        source: { connector: postgres, config: { host: '127.0.0.1', port: 5432, database, username: 'postgres', schema: 'public' } },
        destination: { connector: bigquery, config },
        streams: { 'public-orders': { replication_method: 'FULL_TABLE' } },
        stateStore,
      }).run({ logger: silentLogger });
    const first = await run();
    expect(Object.fromEntries(Object.entries(first.streams).map(([name, s]) => [name, s.records]))).toEqual({ orders: 3 });
    const table = standIn.tableNames(config.dataset).find((t) => !t.startsWith('_mage_')) as string;
    const byId = async () => Object.fromEntries((await standIn.rows(config.dataset, table)).map((r) => [String(r['id']), r]));
    const rows = await byId();
    expect(rows['9007199254740993']).toMatchObject({
      amount: '1234567890123456789012345678.123456789012',
      placed_at: '2024-02-29T18:29:59.999999Z',
      attrs: { gift: true, n: 12345678901234567890n },
      note: 'first',
    });
    expect(standIn.schema(config.dataset, table)?.find((f) => f.name === 'amount')?.type).toBe('BIGNUMERIC');

    await client.query(`DELETE FROM orders WHERE id = 2; UPDATE orders SET note = 'changed' WHERE id = 3;`);
    await run();
    const after = await byId();
    expect(after['3']).toMatchObject({ note: 'changed', _sdc_deleted_at: null });
    expect(after['2']?.['_sdc_deleted_at']).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(after['9007199254740993']?.['_sdc_deleted_at']).toBeNull();
  }, 120_000);
});
