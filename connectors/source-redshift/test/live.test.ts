// Against a real Amazon Redshift, only when REDSHIFT_TEST_URL (postgres://user:password@endpoint:5439/database) is
// set; the UNLOAD case also needs REDSHIFT_TEST_S3_BUCKET and REDSHIFT_TEST_IAM_ROLE (a role of the cluster that may
// write the bucket; the files are read back and deleted with the AWS SDK's default credentials), optionally
// REDSHIFT_TEST_S3_REGION. Skipped, saying why, otherwise. It makes a schema of its own with a few rows of every
// type, reads them through the cursor (FULL_TABLE and INCREMENTAL) and by UNLOAD, and drops the schema.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyState, setMetadata, silentLogger, type Catalog } from '@mage-int/core';
import { readAll } from '@mage-int/testkit';
import redshiftSource, { type Config } from '../src/index.js';

const env = (name: string) => process.env[`REDSHIFT_TEST_${name}`];
const reason = env('URL') ? undefined : 'REDSHIFT_TEST_URL not set';
const unloadReason =
  reason ?? (!env('S3_BUCKET') || !env('IAM_ROLE') ? 'REDSHIFT_TEST_S3_BUCKET or REDSHIFT_TEST_IAM_ROLE not set' : undefined);
if (reason) console.log(`source-redshift live test skipped: ${reason} (set it to run against a real Redshift)`);
else if (unloadReason) console.log(`source-redshift live UNLOAD test skipped: ${unloadReason}`);

const url = new URL(env('URL') ?? 'postgres://user@localhost:5439/dev');
const schema = `mage_int_live_src_${process.pid}_${Date.now().toString(36)}`;
const config: Config = {
  host: url.hostname,
  port: Number(url.port || 5439),
  database: url.pathname.slice(1) || 'dev',
  username: decodeURIComponent(url.username),
  ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  ssl_mode: 'require',
  schema,
  batch_size: 2,
};
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });
const client = () =>
  new pg.Client({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.username,
    password: config.password,
    ssl: { rejectUnauthorized: false },
  });

function selected(catalog: Catalog, incremental?: string): Catalog {
  for (const entry of catalog.streams) {
    setMetadata(entry, [], { selected: entry.stream === 'orders' });
    if (incremental) setMetadata(entry, [], { 'replication-method': 'INCREMENTAL', 'replication-key': incremental });
  }
  return catalog;
}

describe.skipIf(reason !== undefined)('source-redshift against a real Redshift', () => {
  beforeAll(async () => {
    const c = client();
    await c.connect();
    await c.query(`CREATE SCHEMA "${schema}"`);
    await c.query(
      `CREATE TABLE "${schema}".orders (id BIGINT NOT NULL, amount NUMERIC(38,2), note VARCHAR(100), at TIMESTAMPTZ, attrs SUPER, PRIMARY KEY (id))`,
    );
    await c.query(
      `INSERT INTO "${schema}".orders VALUES (1, 12345678901234567890123456789012345.67, 'a', '2024-01-01 00:00:00.000001+00', JSON_PARSE('{"a":1}')), (2, NULL, '', '2024-01-01 00:00:00.000001+00', NULL), (3, 0.01, NULL, '2024-01-02 00:00:00+00', JSON_PARSE('[1]'))`,
    );
    await c.end();
  });
  afterAll(async () => {
    const c = client();
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it('discovers the table with its key and reads it exactly, FULL_TABLE and INCREMENTAL', async () => {
    const catalog = await redshiftSource.discover(config, ctx());
    expect(catalog.streams.find((s) => s.stream === 'orders')?.key_properties).toEqual(['id']);
    const full = await readAll(redshiftSource as never, config, selected(catalog), emptyState());
    const rows = [...full.records.values()].flat();
    expect(rows.map((r) => r['id'])).toEqual([1, 2, 3]);
    expect(String((rows[0]?.['amount'] as { text: string }).text)).toBe('12345678901234567890123456789012345.67');
    expect(rows[0]?.['at']).toBe('2024-01-01T00:00:00.000001+00:00');
    expect(rows[1]?.['note']).toBe('');
    const incremental = await readAll(
      redshiftSource as never,
      config,
      selected(await redshiftSource.discover(config, ctx()), 'at'),
      emptyState(),
    );
    expect([...incremental.records.values()].flat().map((r) => r['id'])).toEqual([1, 2, 3]);
  }, 300_000);

  it.skipIf(unloadReason !== undefined)(
    'reads FULL_TABLE by UNLOAD to S3 with the same values',
    async () => {
      const unloadConfig: Config = {
        ...config,
        unload: {
          min_rows: 0,
          s3_bucket: env('S3_BUCKET') ?? '',
          s3_prefix: 'mage-int-live/',
          s3_region: env('S3_REGION') ?? 'us-east-1',
          iam_role: env('IAM_ROLE') ?? '',
        },
      };
      const result = await readAll(
        redshiftSource as never,
        unloadConfig,
        selected(await redshiftSource.discover(unloadConfig, ctx())),
        emptyState(),
      );
      const rows = [...result.records.values()].flat().sort((a, b) => Number(a['id']) - Number(b['id']));
      expect(rows.map((r) => [r['id'], r['note']])).toEqual([
        [1, 'a'],
        [2, ''],
        [3, null],
      ]);
    },
    300_000,
  );
});
