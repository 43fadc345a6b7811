// Loading through an external stage on Google Cloud Storage and on Azure Blob: the load files are uploaded by the
// Google and Azure SDKs (the files kits' GCS and Azure storages) to the GCS stand-in and to Azurite, both started here
// on random ports; the Snowflake stand-in reads them from there for `COPY INTO … FROM @stage` — a GCS stage through its
// storage integration (Snowflake takes no credentials for GCS), an Azure stage with its AZURE_SAS_TOKEN or an
// integration — and the destination deletes each object after its COPY, loaded or failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@mage-int/core';
import { AzureBlobStorage } from '@mage-int/files-azure';
import { startAzurite, type AzureStandIn } from '@mage-int/files-azure/testing';
import { startGcs, type GcsStandIn } from '@mage-int/files-gcs/testing';
import { startSnowflakeStandIn, type SnowflakeStandIn } from '@mage-int/testkit';
import destination, { connectionOptions, resolveConfig, SnowflakeConnection, SnowflakeDialect } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { ctx, load, messages } from './stage-load.js';

describe('destination-snowflake through external stages on GCS (the GCS stand-in) and Azure Blob (Azurite)', () => {
  let gcs: GcsStandIn;
  let azure: AzureStandIn;
  let standIn: SnowflakeStandIn;
  let base: Config;
  let schemas = 0;
  const schema = () => `ext_${process.pid}_${++schemas}`;
  const rows = async (config: Config) =>
    (await standIn.rows(config.schema.toUpperCase(), 'ITEMS')).sort((a, b) => Number(a['ID']) - Number(b['ID']));
  const containerBlobs = async () => {
    const keys: string[] = [];
    for await (const info of new AzureBlobStorage(azure.settings).list('')) keys.push(info.key);
    return keys;
  };
  /** Creates a named stage as its owner would, outside the destination. */
  const createStage = async (sql: string) => {
    const connection = await SnowflakeConnection.open(connectionOptions(resolveConfig({ ...base })), new SnowflakeDialect(), {
      logger: silentLogger,
    });
    await connection.execute(sql);
    await connection.close();
  };

  beforeAll(async () => {
    [gcs, azure] = await Promise.all([startGcs('sf-gcs-loads'), startAzurite('sf-loads')]);
    standIn = await startSnowflakeStandIn({ gcsEndpoint: gcs.endpoint, azureEndpoint: azure.endpoint });
    standIn.addUser('loader', { password: 'stand-in-password' });
    standIn.addStorageIntegration('GCS_LOADS', { provider: 'GCS' });
    standIn.addStorageIntegration('AZURE_LOADS', { provider: 'AZURE', accountKey: azure.settings.account_key });
    base = {
      account: standIn.account,
      user: 'loader',
      password: 'stand-in-password',
      warehouse: 'LOADING_WH',
      database: standIn.database,
      schema: 'unused',
      access_url: standIn.url,
    };
  }, 60_000);
  afterAll(async () => {
    await standIn?.close();
    await gcs?.close();
    await azure?.close();
  });

  const onGcs = (extra: Partial<NonNullable<Config['external_stage']>> = {}) => ({
    provider: 'gcs' as const,
    bucket: 'sf-gcs-loads',
    prefix: 'snowflake/loads',
    endpoint: gcs.endpoint,
    ...extra,
  });
  const onAzure = (extra: Partial<NonNullable<Config['external_stage']>> = {}) => ({
    provider: 'azure' as const,
    account_name: azure.settings.account_name,
    container: azure.settings.container,
    prefix: 'snowflake/loads',
    endpoint: azure.endpoint,
    ...extra,
  });

  it('GCS: a temporary stage through a STORAGE_INTEGRATION — rows exact, upserted, every object deleted after its COPY', async () => {
    const config: Config = { ...base, schema: schema(), external_stage: onGcs({ storage_integration: 'GCS_LOADS' }) };
    await load(config, messages([1, 2, 3]));
    await load(config, [...messages([3]), ...messages([4])]);
    const loaded = await rows(config);
    expect(loaded.map((r) => r['ID'])).toEqual(['1', '2', '3', '4']);
    expect(loaded[0]).toMatchObject({ PRICE: '1123456789012345.25', ATTRS: { n: 12345678901234567890n, id: 1 } });
    expect(standIn.statements.filter((s) => s.startsWith('CREATE TEMPORARY STAGE') && s.includes('gcs://'))).toEqual([
      expect.stringMatching(
        /^CREATE TEMPORARY STAGE IF NOT EXISTS "_MAGE_EXT_STAGE_\w+" URL = 'gcs:\/\/sf-gcs-loads\/snowflake\/loads\/' STORAGE_INTEGRATION = GCS_LOADS$/,
      ),
      expect.stringMatching(/STORAGE_INTEGRATION = GCS_LOADS$/),
    ]);
    const copy = standIn.statements.find((s) => s.startsWith('COPY INTO') && s.includes('_MAGE_EXT_STAGE_'));
    expect(copy).toMatch(/FROM \(SELECT \$1, \$2, PARSE_JSON\(\$3\).* FROM @"_MAGE_EXT_STAGE_\w+"\/mage-int-[\w-]+\/_mage_stage_\w+\)/);
    expect(copy).not.toMatch(/PURGE/);
    expect(standIn.statements.some((s) => s.startsWith('PUT '))).toBe(false);
    expect(gcs.objects()).toEqual([]);
  });

  it('GCS: a named stage loads; a COPY that cannot read its stage fails and its object is deleted all the same', async () => {
    await createStage(`CREATE STAGE MAGE_GCS_STAGE URL = 'gcs://sf-gcs-loads/snowflake/loads/' STORAGE_INTEGRATION = GCS_LOADS`);
    const named: Config = { ...base, schema: schema(), external_stage: onGcs({ stage: 'MAGE_GCS_STAGE' }) };
    const before = standIn.statements.length;
    await load(named, messages([7]));
    expect((await rows(named)).map((r) => r['ID'])).toEqual(['7']);
    const sent = standIn.statements.slice(before);
    expect(sent.some((s) => s.startsWith('CREATE TEMPORARY STAGE'))).toBe(false);
    expect(sent.some((s) => s.startsWith('COPY INTO') && s.includes('FROM @MAGE_GCS_STAGE/mage-int-'))).toBe(true);

    // The stage's URL names a bucket that does not exist: the upload succeeds, the COPY cannot read it.
    await createStage(`CREATE STAGE WRONG_GCS_STAGE URL = 'gcs://no-such-bucket/snowflake/loads/' STORAGE_INTEGRATION = GCS_LOADS`);
    const wrong: Config = { ...base, schema: schema(), external_stage: onGcs({ stage: 'WRONG_GCS_STAGE' }) };
    await expect(load(wrong, messages([8]))).rejects.toThrow(/Failure using stage area/);
    expect(gcs.objects()).toEqual([]);
  });

  it('GCS: settings Snowflake could not read with, or of another store, are refused and named before any upload', async () => {
    const check = await destination.check({ ...base, schema: 'x', external_stage: onGcs() }, ctx());
    expect(check).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no stage or storage integration \(Snowflake takes no credentials for GCS stages\)/),
    });
    expect(() => resolveConfig({ ...base, external_stage: onGcs({ storage_integration: 'GCS_LOADS', access_key_id: 'AKIA' }) })).toThrow(
      /external_stage\.access_key_id is a setting of s3, not of provider gcs/,
    );
    expect(() => resolveConfig({ ...base, external_stage: { provider: 'gcs', storage_integration: 'GCS_LOADS' } })).toThrow(
      /external_stage\.bucket is required for gcs/,
    );
    // The stand-in, like Snowflake, takes no CREDENTIALS for a GCS stage.
    await expect(
      createStage(`CREATE STAGE GCS_KEYS URL = 'gcs://sf-gcs-loads/' CREDENTIALS = (AWS_KEY_ID = 'a' AWS_SECRET_KEY = 'b')`),
    ).rejects.toThrow(/CREDENTIALS are not supported for GCS stages/);
    expect(gcs.objects()).toEqual([]);
  });

  it('Azure: a temporary stage with the SAS token as CREDENTIALS (uploads with it too) — rows exact, upserted, container empty', async () => {
    const sas = azure.sasToken('racwdl');
    const config: Config = { ...base, schema: schema(), external_stage: onAzure({ sas_token: sas }) };
    await load(config, messages([1, 2, 3]));
    await load(config, [...messages([3]), ...messages([4])]);
    const loaded = await rows(config);
    expect(loaded.map((r) => r['ID'])).toEqual(['1', '2', '3', '4']);
    expect(loaded[3]).toMatchObject({ PRICE: '4123456789012345.25', ATTRS: { n: 12345678901234567890n, id: 4 } });
    const create = standIn.statements.find((s) => s.startsWith('CREATE TEMPORARY STAGE') && s.includes('azure://'));
    expect(create).toBe(
      `CREATE TEMPORARY STAGE IF NOT EXISTS ${create?.split(' ')[6]} URL = 'azure://devstoreaccount1.blob.core.windows.net/sf-loads/snowflake/loads/' CREDENTIALS = (AZURE_SAS_TOKEN = '${sas}')`,
    );
    expect(await containerBlobs()).toEqual([]);
  });

  it('Azure: through a STORAGE_INTEGRATION (uploads with the account key); a SAS token without read permission fails the COPY and the blob is deleted', async () => {
    const integrated: Config = {
      ...base,
      schema: schema(),
      external_stage: onAzure({ storage_integration: 'AZURE_LOADS', account_key: azure.settings.account_key }),
    };
    await load(integrated, messages([5, 6]));
    expect((await rows(integrated)).map((r) => r['ID'])).toEqual(['5', '6']);
    expect(
      standIn.statements.some((s) => /^CREATE TEMPORARY STAGE .* URL = 'azure:\/\/.*' STORAGE_INTEGRATION = AZURE_LOADS$/.test(s)),
    ).toBe(true);
    expect(await containerBlobs()).toEqual([]);

    // Create, write and delete, but no read: Azurite lets the upload and the delete through and refuses Snowflake's read.
    const unreadable: Config = { ...base, schema: schema(), external_stage: onAzure({ sas_token: azure.sasToken('cwd') }) };
    await expect(load(unreadable, messages([9]))).rejects.toThrow(/Failure using stage area/);
    expect(await containerBlobs()).toEqual([]);
  });

  it('Azure: settings Snowflake could not read with, or of another store, are refused and named before any upload', async () => {
    const check = await destination.check(
      { ...base, schema: 'x', external_stage: onAzure({ account_key: azure.settings.account_key }) },
      ctx(),
    );
    expect(check).toMatchObject({ ok: false, message: expect.stringMatching(/no stage, storage integration or sas_token/) });
    expect(() => resolveConfig({ ...base, external_stage: onAzure({ sas_token: 'sv=x', bucket: 'b' }) })).toThrow(
      /external_stage\.bucket is a setting of s3 and gcs, not of provider azure/,
    );
    expect(() => resolveConfig({ ...base, external_stage: { provider: 'azure', container: 'c', sas_token: 'sv=x' } })).toThrow(
      /needs account_name \(or a connection_string\)/,
    );
    expect(() => resolveConfig({ ...base, external_stage: onGcs({ storage_integration: 'GCS_LOADS', sas_token: 'sv=x' }) })).toThrow(
      /external_stage\.sas_token is a setting of azure, not of provider gcs/,
    );
    expect(await containerBlobs()).toEqual([]);
  });
});
