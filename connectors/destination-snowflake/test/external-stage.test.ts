// Loading through an external stage on S3: the load files are uploaded by the AWS SDK (the files kit's S3 storage)
// to s3rver, started here on a random port; the Snowflake stand-in reads them from there for `COPY INTO … FROM @stage`
// with the stage's credentials or its storage integration's, as Snowflake reads them from S3. Each way — a temporary
// stage with CREDENTIALS, one with a STORAGE_INTEGRATION, a named stage — loads exact rows, and leaves the bucket empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@mage-int/core';
import { S3Storage } from '@mage-int/files-s3';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';
import { startSnowflakeStandIn, type SnowflakeStandIn } from '@mage-int/testkit';
import destination, { connectionOptions, resolveConfig, SnowflakeConnection, SnowflakeDialect } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { ctx, load, messages } from './stage-load.js';

describe('destination-snowflake through an external stage on S3 (s3rver)', () => {
  let s3: S3StandIn;
  let standIn: SnowflakeStandIn;
  let base: Config;
  let schemas = 0;
  const bucketObjects = async () => {
    const storage = new S3Storage(s3.settings);
    const keys: string[] = [];
    for await (const info of storage.list('')) keys.push(info.key);
    await storage.close();
    return keys;
  };
  const rows = async (config: Config) =>
    (await standIn.rows(config.schema.toUpperCase(), 'ITEMS')).sort((a, b) => Number(a['ID']) - Number(b['ID']));

  beforeAll(async () => {
    s3 = await startS3('sf-loads');
    standIn = await startSnowflakeStandIn({ s3Endpoint: s3.endpoint });
    standIn.addUser('loader', { password: 'stand-in-password' });
    standIn.addStorageIntegration('S3_LOADS', { accessKeyId: s3.settings.access_key_id, secretAccessKey: s3.settings.secret_access_key });
    base = {
      account: standIn.account,
      user: 'loader',
      password: 'stand-in-password',
      warehouse: 'LOADING_WH',
      database: standIn.database,
      schema: 'unused',
      access_url: standIn.url,
    };
  });
  afterAll(async () => {
    await standIn?.close();
    await s3?.close();
  });
  const schema = () => `ext_${process.pid}_${++schemas}`;
  const external = (extra: Partial<NonNullable<Config['external_stage']>> = {}) => ({
    bucket: s3.settings.bucket,
    prefix: 'snowflake/loads',
    endpoint: s3.endpoint,
    force_path_style: true,
    region: 'us-east-1',
    ...extra,
  });

  it('a temporary stage with the keys as CREDENTIALS: rows exact, upserted, the objects deleted after each COPY', async () => {
    const config: Config = {
      ...base,
      schema: schema(),
      external_stage: external({ access_key_id: s3.settings.access_key_id, secret_access_key: s3.settings.secret_access_key }),
    };
    await load(config, messages([1, 2, 3]));
    await load(config, [...messages([3]), ...messages([4])]);
    const loaded = await rows(config);
    expect(loaded.map((r) => r['ID'])).toEqual(['1', '2', '3', '4']);
    expect(loaded[0]).toMatchObject({ PRICE: '1123456789012345.25', ATTRS: { n: 12345678901234567890n, id: 1 } });
    const create = standIn.statements.find((s) => s.startsWith('CREATE TEMPORARY STAGE'));
    expect(create).toMatch(
      /^CREATE TEMPORARY STAGE IF NOT EXISTS "_MAGE_EXT_STAGE_\w+" URL = 's3:\/\/sf-loads\/snowflake\/loads\/' CREDENTIALS = \(AWS_KEY_ID = 'S3RVER' AWS_SECRET_KEY = 'S3RVER'\)$/,
    );
    const copy = standIn.statements.find((s) => s.startsWith('COPY INTO') && s.includes('_MAGE_EXT_STAGE_'));
    expect(copy).toMatch(/FROM \(SELECT \$1, \$2, PARSE_JSON\(\$3\).* FROM @"_MAGE_EXT_STAGE_\w+"\/mage-int-[\w-]+\/_mage_stage_\w+\)/);
    expect(copy).not.toMatch(/PURGE/);
    expect(standIn.statements.some((s) => s.startsWith('PUT '))).toBe(false);
    expect(await bucketObjects()).toEqual([]);
  });

  it('a temporary stage through a STORAGE_INTEGRATION (no keys given to Snowflake), and a named external stage', async () => {
    const integrated: Config = { ...base, schema: schema(), external_stage: external({ storage_integration: 'S3_LOADS' }) };
    // The uploads still need keys: here the environment's (the AWS SDK's default chain), as an instance role would give.
    process.env['AWS_ACCESS_KEY_ID'] = s3.settings.access_key_id;
    process.env['AWS_SECRET_ACCESS_KEY'] = s3.settings.secret_access_key;
    try {
      await load(integrated, messages([1, 2]));
    } finally {
      delete process.env['AWS_ACCESS_KEY_ID'];
      delete process.env['AWS_SECRET_ACCESS_KEY'];
    }
    expect((await rows(integrated)).map((r) => r['ID'])).toEqual(['1', '2']);
    expect(standIn.statements.some((s) => /^CREATE TEMPORARY STAGE .* STORAGE_INTEGRATION = S3_LOADS$/.test(s))).toBe(true);

    const named: Config = {
      ...base,
      schema: schema(),
      external_stage: external({ stage: 'MAGE_S3_STAGE', access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }),
    };
    const connection = await SnowflakeConnection.open(
      connectionOptions(resolveConfig({ ...base, schema: named.schema })),
      new SnowflakeDialect(),
      {
        logger: silentLogger,
      },
    );
    await connection.execute(`CREATE STAGE MAGE_S3_STAGE URL = 's3://sf-loads/snowflake/loads/' STORAGE_INTEGRATION = S3_LOADS`);
    await connection.close();
    const before = standIn.statements.length;
    await load(named, messages([7]));
    expect((await rows(named)).map((r) => r['ID'])).toEqual(['7']);
    const sent = standIn.statements.slice(before);
    expect(sent.some((s) => s.startsWith('CREATE TEMPORARY STAGE'))).toBe(false);
    expect(sent.some((s) => s.startsWith('COPY INTO') && s.includes('FROM @MAGE_S3_STAGE/mage-int-'))).toBe(true);
    expect(await bucketObjects()).toEqual([]);
  });

  it('a COPY that fails still deletes its object; settings Snowflake could not read with are refused before any upload', async () => {
    const config: Config = {
      ...base,
      schema: schema(),
      external_stage: external({ access_key_id: 'S3RVER', secret_access_key: 'S3RVER', storage_integration: 'NO_SUCH_INTEGRATION' }),
    };
    await expect(load(config, messages([1]))).rejects.toThrow(/Integration 'NO_SUCH_INTEGRATION' does not exist/);
    expect(await bucketObjects()).toEqual([]);
    // A stage on a bucket that does not exist: the upload succeeds, the COPY cannot read it, the object goes all the same.
    const connection = await SnowflakeConnection.open(connectionOptions(resolveConfig({ ...base })), new SnowflakeDialect(), {
      logger: silentLogger,
    });
    await connection.execute(`CREATE STAGE WRONG_S3_STAGE URL = 's3://no-such-bucket/snowflake/loads/' STORAGE_INTEGRATION = S3_LOADS`);
    await connection.close();
    const wrong: Config = {
      ...base,
      schema: schema(),
      external_stage: external({ stage: 'WRONG_S3_STAGE', access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }),
    };
    await expect(load(wrong, messages([2]))).rejects.toThrow(/Failure using stage area/);
    expect(await bucketObjects()).toEqual([]);
    const check = await destination.check({ ...base, schema: 'x', external_stage: external() }, ctx());
    expect(check).toMatchObject({ ok: false, message: expect.stringMatching(/no stage, storage integration or keys/) });
    expect(() => resolveConfig({ ...base, stage: 'MINE', external_stage: external({ storage_integration: 'S3_LOADS' }) })).toThrow(
      /`stage` \(an internal stage\) or `external_stage`/,
    );
  });
});
