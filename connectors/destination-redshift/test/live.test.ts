// Against a real Amazon Redshift, only when REDSHIFT_TEST_URL (postgres://user:password@endpoint:5439/database),
// REDSHIFT_TEST_S3_BUCKET and REDSHIFT_TEST_IAM_ROLE (a role associated with the cluster that may read the bucket)
// are set, optionally REDSHIFT_TEST_S3_REGION (default us-east-1) and REDSHIFT_TEST_S3_PREFIX; the uploads are signed
// by the AWS SDK's default credential chain. Skipped, saying why, otherwise. It makes a schema of its own, loads
// through S3 and COPY, upserts, evolves the schema (integer to SUPER), hard-deletes by ACTIVATE_VERSION, reads
// everything back, checks no load file is left, and drops the schema. Costs seconds of cluster time and a few S3
// requests.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, silentLogger, type JsonSchema, type SourceMessage } from '@mage-int/core';
import { S3Storage } from '@mage-int/files-s3';
import { RedshiftDestination, resolveConfig, s3Settings, type Config } from '../src/index.js';

const env = (name: string) => process.env[`REDSHIFT_TEST_${name}`];
const missing = ['URL', 'S3_BUCKET', 'IAM_ROLE'].filter((n) => !env(n));
const reason = missing.length > 0 ? `REDSHIFT_TEST_${missing.join(', REDSHIFT_TEST_')} not set` : undefined;
if (reason) console.log(`destination-redshift live test skipped: ${reason} (set them to run it against a real Redshift)`);

const url = new URL(env('URL') ?? 'postgres://user@localhost:5439/dev');
const config: Config = {
  host: url.hostname,
  port: Number(url.port || 5439),
  database: url.pathname.slice(1) || 'dev',
  username: decodeURIComponent(url.username),
  ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  ssl_mode: 'require',
  schema: `mage_int_live_${process.pid}_${Date.now().toString(36)}`,
  s3_bucket: env('S3_BUCKET') ?? '',
  s3_prefix: env('S3_PREFIX') ?? 'mage-int-live/',
  s3_region: env('S3_REGION') ?? 'us-east-1',
  iam_role: env('IAM_ROLE') ?? 'arn:aws:iam::0:role/unset',
  hard_delete: true,
  add_record_metadata: true,
};

async function load(messages: SourceMessage[]): Promise<unknown[]> {
  const states: unknown[] = [];
  async function* input() {
    yield* messages;
  }
  for await (const state of new RedshiftDestination({ config, logger: silentLogger }).write(input(), { streams: {} }))
    states.push(state.value);
  return states;
}

describe.skipIf(reason !== undefined)('destination-redshift against a real Redshift', () => {
  const client = () =>
    new pg.Client({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.username,
      password: config.password,
      ssl: { rejectUnauthorized: false },
    });
  afterAll(async () => {
    const c = client();
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${config.schema}" CASCADE`);
    await c.end();
  });

  it('loads exact values through S3 and COPY, upserts, evolves the schema and hard-deletes', async () => {
    const schema = (blob: JsonSchema): SourceMessage => ({
      type: 'SCHEMA',
      stream: 'live_orders',
      schema: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          amount: { type: ['null', 'number'], multipleOf: 0.01 },
          big: { type: ['null', 'integer'] },
          note: { type: ['null', 'string'] },
          at: { type: ['null', 'string'], format: 'date-time' },
          attrs: { type: ['null', 'object'] },
          blob,
        },
      },
      key_properties: ['id'],
    });
    const states = await load([
      schema({ type: ['null', 'integer'] }),
      {
        type: 'RECORD',
        stream: 'live_orders',
        version: 1,
        record: {
          id: 1,
          amount: new Decimal('12.34'),
          big: 9223372036854775807n,
          note: '',
          at: '2024-01-02T03:04:05.123456Z',
          attrs: { a: [1, 'x'] },
          blob: 7,
        },
      },
      {
        type: 'RECORD',
        stream: 'live_orders',
        version: 1,
        record: { id: 2, amount: null, big: null, note: null, at: null, attrs: null, blob: null },
      },
      { type: 'STATE', value: { n: 1 } },
      schema({ type: ['null', 'object'] }),
      {
        type: 'RECORD',
        stream: 'live_orders',
        version: 2,
        record: {
          id: 1,
          amount: new Decimal('0.01'),
          big: -1n,
          note: 'a "b",\nc',
          at: '2024-01-02T05:04:05+02:00',
          attrs: {},
          blob: { k: 'v' },
        },
      },
      { type: 'ACTIVATE_VERSION', stream: 'live_orders', version: 2 },
      { type: 'STATE', value: { n: 2 } },
    ]);
    expect(states).toEqual([{ n: 1 }, { n: 2 }]);
    const c = client();
    await c.connect();
    try {
      const rows = await c.query(
        `SELECT id, amount::varchar AS amount, big::varchar AS big, note, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') AS at, JSON_SERIALIZE(attrs) AS attrs, JSON_SERIALIZE(blob) AS blob FROM "${config.schema}".live_orders ORDER BY id`,
      );
      expect(rows.rows).toEqual([
        { id: '1', amount: '0.01', big: '-1', note: 'a "b",\nc', at: '2024-01-02 03:04:05.000000', attrs: '{}', blob: '{"k":"v"}' },
      ]);
    } finally {
      await c.end();
    }
    const storage = new S3Storage(s3Settings(resolveConfig(config)));
    const left: string[] = [];
    for await (const file of storage.list('mage-int-redshift/')) left.push(file.key);
    await storage.close();
    expect(left).toEqual([]);
  }, 300_000);
});
