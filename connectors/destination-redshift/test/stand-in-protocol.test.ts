// The destination against the Redshift stand-in, on what the shared fixtures do not show: the load goes through S3
// and COPY (the stand-in read the objects the destination wrote, under its prefix, with the IAM role) and no load
// file is left behind; DISTKEY/SORTKEY reach CREATE TABLE; access keys instead of a role; a role the cluster may not
// assume fails the load with the hint; the stand-in itself runs UNLOAD and refuses what Redshift refuses.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type SourceMessage } from '@mage-int/core';
import { S3Storage } from '@mage-int/files-s3';
import destination, { RedshiftDestination, s3Settings, resolveConfig, type Config } from '../src/index.js';
import { standInConfig, tableRows, TEST_ROLE, type StandInSetup } from './stand-in.js';

let setup: StandInSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const schema = (key: string[] = ['id']): SourceMessage => ({
  type: 'SCHEMA',
  stream: 'Orders',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      customer: { type: ['null', 'string'] },
      placed_at: { type: ['null', 'string'], format: 'date-time' },
      attrs: { type: ['null', 'object'] },
    },
  },
  key_properties: key,
});
const record = (id: number, customer: string | null): SourceMessage => ({
  type: 'RECORD',
  stream: 'Orders',
  record: { id, customer, placed_at: '2024-05-01T12:00:00.123456+02:00', attrs: { id, tags: ['a'] } },
});

async function load(config: Config, messages: SourceMessage[]): Promise<unknown[]> {
  const states: unknown[] = [];
  async function* input() {
    yield* messages;
  }
  for await (const state of new RedshiftDestination({ config, logger: silentLogger }).write(input(), { streams: {} }))
    states.push(state.value);
  return states;
}

async function objects(config: Config): Promise<string[]> {
  const storage = new S3Storage({ ...s3Settings(resolveConfig(config)), prefix: '' });
  const keys: string[] = [];
  for await (const file of storage.list('')) keys.push(file.key);
  await storage.close();
  return keys;
}

describe('destination-redshift on the stand-in', () => {
  it('loads through S3 and COPY with the IAM role, deletes every load file, and sends DISTKEY/SORTKEY', async () => {
    setup = await standInConfig({
      dist_style: 'key',
      sort_key: 'key_properties',
      tables: { Orders: { sort_keys: ['placed_at', 'id'] } },
      batch_size_rows: 2,
    });
    const { config, standIn } = setup;
    const states = await load(config, [
      schema(),
      record(1, 'ann'),
      record(2, ''),
      { type: 'STATE', value: { at: 1 } },
      record(1, null),
      record(3, 'c,"d"\n'),
      { type: 'STATE', value: { at: 2 } },
    ]);
    expect(states).toEqual([{ at: 1 }, { at: 2 }]);
    expect(standIn.copies.length).toBeGreaterThanOrEqual(2);
    for (const copy of standIn.copies) {
      expect(copy.url).toMatch(/^s3:\/\/redshift-loads\/loads\/mage-int-redshift\/[0-9a-f]+\/mage_stage_\w+-\d+\.csv\.gz$/);
      expect(copy.keys).toEqual([copy.url.replace('s3://redshift-loads/', '')]);
      expect(copy.auth).toEqual({ iamRole: TEST_ROLE });
    }
    expect(standIn.copies.reduce((n, c) => n + c.rows, 0)).toBe(4);
    expect(await objects(config)).toEqual([]);
    expect(standIn.tableAttributes.find((t) => t.table.endsWith('"orders"'))).toMatchObject({
      attributes: 'DISTSTYLE KEY DISTKEY ("id")\nCOMPOUND SORTKEY ("placed_at", "id")',
      declaredKeys: ['"id"'],
    });
    const rows = await tableRows(standIn, config.schema as string, 'orders');
    expect(rows?.map((r) => [r['id'], r['customer'], r['placed_at'], r['attrs']]).sort()).toEqual([
      [1, null, '2024-05-01T10:00:00.123456+00:00', { id: 1, tags: ['a'] }],
      [2, '', '2024-05-01T10:00:00.123456+00:00', { id: 2, tags: ['a'] }],
      [3, 'c,"d"\n', '2024-05-01T10:00:00.123456+00:00', { id: 3, tags: ['a'] }],
    ]);
    // Every statement passed the stand-in's Redshift checks (a refused one would have failed the load).
    expect(standIn.statements.some((s) => /ON CONFLICT|RETURNING|\bjsonb\b/i.test(s))).toBe(false);
  });

  it('COPY passes the access keys when no iam_role is set', async () => {
    setup = await standInConfig({ iam_role: undefined });
    const { config, standIn, s3 } = setup;
    await load(config, [schema([]), record(1, 'x')]);
    expect(standIn.copies[0]?.auth).toEqual({ accessKeyId: s3.settings.access_key_id, secretAccessKey: s3.settings.secret_access_key });
    expect(await objects(config)).toEqual([]);
  });

  it('a role the cluster may not assume fails the load, with the hint, and leaves no load file', async () => {
    setup = await standInConfig({ iam_role: 'arn:aws:iam::123456789012:role/not-associated' });
    const { config } = setup;
    const error = await load(config, [schema(), record(1, 'x')]).catch((e: unknown) => e as { message: string; hint?: string });
    expect((error as { message: string }).message).toMatch(/not authorized to assume IAM Role/);
    expect((error as { hint?: string }).hint).toMatch(/check the IAM role/);
    expect(await objects(config)).toEqual([]);
  });

  it('check() fails without COPY credentials, naming iam_role', async () => {
    setup = await standInConfig({ iam_role: undefined, aws_access_key_id: undefined, aws_secret_access_key: undefined });
    const result = await destination.check(setup.config, { logger: silentLogger } as never);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/COPY needs `iam_role`/);
  });

  it('the stand-in runs UNLOAD to S3 and refuses what Redshift refuses', async () => {
    setup = await standInConfig();
    const { standIn } = setup;
    const pg = (await import('pg')).default;
    const client = new pg.Client({ host: standIn.host, port: standIn.port, database: standIn.database, user: standIn.user });
    await client.connect();
    try {
      await client.query(`CREATE TABLE public.t (id BIGINT, name VARCHAR(10))`);
      await client.query(`INSERT INTO public.t VALUES (1, 'a,b'), (2, NULL)`);
      await client.query(
        `UNLOAD ('select id, name from public.t order by id') TO 's3://redshift-loads/unload/t_' IAM_ROLE '${TEST_ROLE}' FORMAT AS CSV HEADER PARALLEL OFF`,
      );
      expect(standIn.unloads).toEqual([{ url: 's3://redshift-loads/unload/t_', keys: ['unload/t_000'], rows: 2 }]);
      await expect(
        client.query(`UNLOAD ('select 1') TO 's3://redshift-loads/unload/t_' IAM_ROLE '${TEST_ROLE}' FORMAT AS CSV`),
      ).rejects.toThrow(/not empty/);
      await expect(client.query(`CREATE TABLE public.u (v VARCHAR(70000))`)).rejects.toThrow(/65535/);
      await expect(client.query(`CREATE TABLE public.u (v JSONB)`)).rejects.toThrow(/no type JSONB/);
      await expect(client.query(`COPY public.t FROM STDIN`)).rejects.toThrow(/not from STDIN/);
      await expect(client.query(`INSERT INTO public.t VALUES (4, 'y') RETURNING id`)).rejects.toThrow(/RETURNING/);
    } finally {
      await client.end();
    }
  });
});
