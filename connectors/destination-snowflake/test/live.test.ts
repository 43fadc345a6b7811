// Against the real Snowflake, only when SNOWFLAKE_TEST_ACCOUNT, SNOWFLAKE_TEST_USER, SNOWFLAKE_TEST_WAREHOUSE,
// SNOWFLAKE_TEST_DATABASE and SNOWFLAKE_TEST_PASSWORD (or SNOWFLAKE_TEST_PRIVATE_KEY_PATH) are set, optionally
// SNOWFLAKE_TEST_ROLE; skipped, saying why, otherwise. It makes a schema of its own, loads through PUT and COPY,
// upserts, evolves the schema, hard-deletes by ACTIVATE_VERSION, reads everything back and drops the schema.
// Costs a few seconds of the warehouse's time (an XS warehouse suffices; it resumes and auto-suspends).
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, silentLogger, type JsonSchema, type SourceMessage } from '@mage-int/core';
import destination, {
  connectionOptions,
  resolveConfig,
  SnowflakeConnection,
  SnowflakeDestination,
  SnowflakeDialect,
} from '../src/index.js';
import type { Config } from '../src/generated/config.js';

const env = (name: string) => process.env[`SNOWFLAKE_TEST_${name}`];
const missing = ['ACCOUNT', 'USER', 'WAREHOUSE', 'DATABASE'].filter((n) => !env(n));
const reason =
  missing.length > 0
    ? `SNOWFLAKE_TEST_${missing.join(', SNOWFLAKE_TEST_')} not set`
    : !env('PASSWORD') && !env('PRIVATE_KEY_PATH')
      ? 'neither SNOWFLAKE_TEST_PASSWORD nor SNOWFLAKE_TEST_PRIVATE_KEY_PATH is set'
      : undefined;
if (reason) console.log(`destination-snowflake live test skipped: ${reason} (set them to run it against the real Snowflake)`);
// The external stage on S3 in addition: SNOWFLAKE_TEST_S3_BUCKET (+ SNOWFLAKE_TEST_S3_PREFIX, SNOWFLAKE_TEST_S3_REGION),
// and SNOWFLAKE_TEST_STORAGE_INTEGRATION or the AWS keys (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, which upload too).
const s3Reason =
  reason ??
  (!env('S3_BUCKET')
    ? 'SNOWFLAKE_TEST_S3_BUCKET is not set'
    : !env('STORAGE_INTEGRATION') && !(process.env['AWS_ACCESS_KEY_ID'] && process.env['AWS_SECRET_ACCESS_KEY'])
      ? 'neither SNOWFLAKE_TEST_STORAGE_INTEGRATION nor AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY is set'
      : undefined);
if (s3Reason && !reason) console.log(`destination-snowflake external-stage live test skipped: ${s3Reason}`);
// On GCS: SNOWFLAKE_TEST_GCS_BUCKET and SNOWFLAKE_TEST_GCS_STORAGE_INTEGRATION (+ SNOWFLAKE_TEST_GCS_PREFIX); the
// uploads use GOOGLE_APPLICATION_CREDENTIALS or Google's default credentials.
const gcsReason =
  reason ??
  (!env('GCS_BUCKET') || !env('GCS_STORAGE_INTEGRATION')
    ? 'SNOWFLAKE_TEST_GCS_BUCKET and SNOWFLAKE_TEST_GCS_STORAGE_INTEGRATION are not both set'
    : undefined);
if (gcsReason && !reason) console.log(`destination-snowflake GCS external-stage live test skipped: ${gcsReason}`);
// On Azure Blob: SNOWFLAKE_TEST_AZURE_ACCOUNT, SNOWFLAKE_TEST_AZURE_CONTAINER and SNOWFLAKE_TEST_AZURE_SAS_TOKEN (it
// uploads and deletes; Snowflake reads with it too unless SNOWFLAKE_TEST_AZURE_STORAGE_INTEGRATION is set), optionally
// SNOWFLAKE_TEST_AZURE_PREFIX.
const azureReason =
  reason ??
  (!env('AZURE_ACCOUNT') || !env('AZURE_CONTAINER') || !env('AZURE_SAS_TOKEN')
    ? 'SNOWFLAKE_TEST_AZURE_ACCOUNT, SNOWFLAKE_TEST_AZURE_CONTAINER and SNOWFLAKE_TEST_AZURE_SAS_TOKEN are not all set'
    : undefined);
if (azureReason && !reason) console.log(`destination-snowflake Azure external-stage live test skipped: ${azureReason}`);

const config: Config = {
  account: env('ACCOUNT') ?? '',
  user: env('USER') ?? '',
  warehouse: env('WAREHOUSE') ?? '',
  database: env('DATABASE') ?? '',
  schema: `mage_int_live_${process.pid}_${Date.now().toString(36)}`,
  ...(env('ROLE') ? { role: env('ROLE') as string } : {}),
  ...(env('PASSWORD') ? { password: env('PASSWORD') as string } : {}),
  ...(env('PRIVATE_KEY_PATH') ? { private_key_path: env('PRIVATE_KEY_PATH') as string } : {}),
  ...(env('PRIVATE_KEY_PASSPHRASE') ? { private_key_passphrase: env('PRIVATE_KEY_PASSPHRASE') as string } : {}),
  hard_delete: true,
  add_record_metadata: true,
};

async function load(messages: SourceMessage[]): Promise<unknown[]> {
  const states: unknown[] = [];
  async function* input() {
    yield* messages;
  }
  for await (const state of new SnowflakeDestination({ config, logger: silentLogger }).write(input(), { streams: {} }))
    states.push(state.value);
  return states;
}

describe.skipIf(reason !== undefined)('destination-snowflake against the real Snowflake', () => {
  const dialect = new SnowflakeDialect();
  const open = () => SnowflakeConnection.open(connectionOptions(resolveConfig(config)), dialect, { logger: silentLogger });
  afterAll(async () => {
    const connection = await open();
    await connection.execute(`DROP SCHEMA IF EXISTS ${dialect.quoteIdentifier(config.schema)} CASCADE`);
    await connection.close();
  });

  it('checks, loads exact values, upserts, evolves the schema and hard-deletes', async () => {
    expect(await destination.check(config, { logger: silentLogger, signal: new AbortController().signal })).toMatchObject({ ok: true });
    const schema = (properties: Record<string, JsonSchema>): SourceMessage => ({
      type: 'SCHEMA',
      stream: 'orders',
      schema: { type: 'object', properties },
      key_properties: ['id'],
    });
    const base = {
      id: { type: 'integer' },
      amount: { type: ['null', 'number'], multipleOf: 0.000001 },
      at: { type: ['null', 'string'], format: 'date-time' },
      attrs: { type: ['null', 'object'] },
      note: { type: ['null', 'string'] },
    } satisfies Record<string, JsonSchema>;
    await load([
      schema(base),
      { type: 'ACTIVATE_VERSION', stream: 'orders', version: 1 },
      {
        type: 'RECORD',
        stream: 'orders',
        version: 1,
        record: {
          id: 1,
          amount: new Decimal('12345678901234567890.123456'),
          at: '2024-02-29T23:59:59.999999+05:30',
          attrs: { a: [1, 'x'] },
          note: '',
        },
      },
      { type: 'RECORD', stream: 'orders', version: 1, record: { id: 2, amount: 1.5, at: null, attrs: null, note: 'a,"b"\nc\\d' } },
      {
        type: 'RECORD',
        stream: 'orders',
        version: 1,
        record: { id: 1, amount: 2, at: '2024-01-01T00:00:00Z', attrs: { a: 1 }, note: null },
      },
    ]);
    await load([
      schema({ ...base, extra: { type: ['null', 'string'] } }),
      { type: 'RECORD', stream: 'orders', version: 2, record: { id: 2, amount: 3, extra: 'x' } },
      { type: 'ACTIVATE_VERSION', stream: 'orders', version: 2 },
    ]);
    const connection = await open();
    const rows = await connection.query(
      `SELECT "ID"::VARCHAR AS ID, "AMOUNT"::VARCHAR AS AMOUNT, "EXTRA" FROM ${dialect.qualify({ schema: config.schema, name: 'orders' })} ORDER BY "ID"`,
    );
    await connection.close();
    expect(rows).toEqual([{ ID: '2', AMOUNT: '3.000000', EXTRA: 'x' }]);
  });

  it.skipIf(s3Reason !== undefined)('loads through an external stage on S3 and leaves the prefix empty', async () => {
    const stage = {
      bucket: env('S3_BUCKET') ?? '',
      prefix: env('S3_PREFIX') ?? 'mage-int-live',
      region: env('S3_REGION') ?? 'us-east-1',
      ...(env('STORAGE_INTEGRATION')
        ? { storage_integration: env('STORAGE_INTEGRATION') as string }
        : { access_key_id: process.env['AWS_ACCESS_KEY_ID'] as string, secret_access_key: process.env['AWS_SECRET_ACCESS_KEY'] as string }),
      ...(process.env['AWS_SESSION_TOKEN'] ? { session_token: process.env['AWS_SESSION_TOKEN'] } : {}),
    };
    const external: Config = { ...config, external_stage: stage };
    async function* input(): AsyncGenerator<SourceMessage> {
      yield {
        type: 'SCHEMA',
        stream: 'via_s3',
        key_properties: ['id'],
        schema: { type: 'object', properties: { id: { type: 'integer' }, doc: { type: ['null', 'object'] } } },
      };
      yield { type: 'RECORD', stream: 'via_s3', record: { id: 1, doc: { n: 12345678901234567890n } } };
    }
    for await (const _ of new SnowflakeDestination({ config: external, logger: silentLogger }).write(input(), { streams: {} })) {
      // states only
    }
    const connection = await open();
    const rows = await connection.query(
      `SELECT "ID"::VARCHAR AS ID, TO_JSON("DOC") AS DOC FROM ${dialect.qualify({ schema: config.schema, name: 'via_s3' })}`,
    );
    await connection.close();
    expect(rows).toEqual([{ ID: '1', DOC: '{"n":12345678901234567890}' }]);
    const { S3Storage } = await import('@mage-int/files-s3');
    const storage = new S3Storage(stage);
    const left: string[] = [];
    for await (const info of storage.list('')) if (info.key.startsWith('mage-int-')) left.push(info.key);
    await storage.close();
    expect(left).toEqual([]);
  });

  /** Loads a row with a 20-digit integer through the external stage, reads it back, and lists what is left under the run folders. */
  async function viaExternal(stream: string, stage: NonNullable<Config['external_stage']>, left: () => Promise<string[]>) {
    async function* input(): AsyncGenerator<SourceMessage> {
      yield {
        type: 'SCHEMA',
        stream,
        key_properties: ['id'],
        schema: { type: 'object', properties: { id: { type: 'integer' }, doc: { type: ['null', 'object'] } } },
      };
      yield { type: 'RECORD', stream, record: { id: 1, doc: { n: 12345678901234567890n } } };
    }
    for await (const _ of new SnowflakeDestination({ config: { ...config, external_stage: stage }, logger: silentLogger }).write(input(), {
      streams: {},
    })) {
      // states only
    }
    const connection = await open();
    const rows = await connection.query(
      `SELECT "ID"::VARCHAR AS ID, TO_JSON("DOC") AS DOC FROM ${dialect.qualify({ schema: config.schema, name: stream })}`,
    );
    await connection.close();
    expect(rows).toEqual([{ ID: '1', DOC: '{"n":12345678901234567890}' }]);
    expect(await left()).toEqual([]);
  }

  it.skipIf(gcsReason !== undefined)(
    'loads through an external stage on GCS (storage integration) and leaves the prefix empty',
    async () => {
      const stage = {
        provider: 'gcs' as const,
        bucket: env('GCS_BUCKET') ?? '',
        prefix: env('GCS_PREFIX') ?? 'mage-int-live',
        storage_integration: env('GCS_STORAGE_INTEGRATION') as string,
      };
      await viaExternal('via_gcs', stage, async () => {
        const { GcsStorage } = await import('@mage-int/files-gcs');
        const left: string[] = [];
        for await (const info of new GcsStorage(stage).list('')) if (info.key.startsWith('mage-int-')) left.push(info.key);
        return left;
      });
    },
  );

  it.skipIf(azureReason !== undefined)('loads through an external stage on Azure Blob and leaves the prefix empty', async () => {
    const stage = {
      provider: 'azure' as const,
      account_name: env('AZURE_ACCOUNT') ?? '',
      container: env('AZURE_CONTAINER') ?? '',
      prefix: env('AZURE_PREFIX') ?? 'mage-int-live',
      sas_token: env('AZURE_SAS_TOKEN') as string,
      ...(env('AZURE_STORAGE_INTEGRATION') ? { storage_integration: env('AZURE_STORAGE_INTEGRATION') as string } : {}),
    };
    await viaExternal('via_azure', stage, async () => {
      const { AzureBlobStorage } = await import('@mage-int/files-azure');
      const left: string[] = [];
      for await (const info of new AzureBlobStorage(stage).list('')) if (info.key.startsWith('mage-int-')) left.push(info.key);
      return left;
    });
  });
});
