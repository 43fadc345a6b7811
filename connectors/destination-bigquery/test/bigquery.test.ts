import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, silentLogger, type JsonSchema, type SourceMessage, type StateMessage } from '@mage-int/core';
import type { BigQueryStandIn } from '@mage-int/testkit';
import destination, { BigQueryDestination } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

async function load(config: Config, messages: SourceMessage[], streams = {}): Promise<StateMessage[]> {
  const states: StateMessage[] = [];
  const client = new BigQueryDestination({ config, logger: silentLogger });
  async function* input() {
    yield* messages;
  }
  for await (const state of client.write(input(), { streams })) states.push(state);
  return states;
}

const schema = (stream: string, properties: Record<string, JsonSchema>, keys: string[] = ['id']): SourceMessage => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties },
  key_properties: keys,
});
const record = (stream: string, data: Record<string, unknown>): SourceMessage => ({ type: 'RECORD', stream, record: data });

describe('destination-bigquery against the BigQuery stand-in', () => {
  let standIn: BigQueryStandIn;
  let config: Config;
  beforeAll(async () => {
    ({ standIn, config } = await standInConfig());
  });
  afterAll(() => standIn.close());

  it('check() authenticates with the key, creates the dataset and a probe table', async () => {
    const result = await destination.check(config, { logger: silentLogger, signal: new AbortController().signal });
    expect(result).toMatchObject({ ok: true });
    expect(standIn.requestsTo('/token').length).toBeGreaterThan(0);
    // Mage's form of the key: an object in credentials_info.
    const { credentials_json, ...rest } = config;
    const mage = { ...rest, credentials_info: JSON.parse(credentials_json as string) as Record<string, unknown> };
    expect(await destination.check(mage, { logger: silentLogger, signal: new AbortController().signal })).toMatchObject({ ok: true });
  });

  it("works in the service account key's project when project_id is not set", async () => {
    const { project_id, ...noProject } = config;
    const ctx = { logger: silentLogger, signal: new AbortController().signal };
    const result = await destination.check(noProject, ctx);
    expect(result).toMatchObject({ ok: true, message: expect.stringContaining(`project ${standIn.projectId},`) });
    await load(noProject, [schema('keyed_project', { id: { type: 'integer' } }), record('keyed_project', { id: 7 })]);
    expect(await standIn.rows(config.dataset, 'keyed_project')).toEqual([{ id: '7' }]);
    // a key of another project: its project is the one asked for (the stand-in knows only its own)
    const otherKey = { ...(JSON.parse(config.credentials_json as string) as Record<string, unknown>), project_id: 'another-project' };
    const other = await destination.check({ ...noProject, credentials_json: JSON.stringify(otherKey) }, ctx);
    expect(other).toMatchObject({ ok: false, message: expect.stringMatching(/Project another-project/) });
    // project_id set wins over the key's
    expect(await destination.check({ ...config, credentials_json: JSON.stringify(otherKey) }, ctx)).toMatchObject({ ok: true });
  });

  it('upserts through a load job and a MERGE, the last row per key winning, STATE after the commit', async () => {
    const states = await load(config, [
      schema('orders', {
        id: { type: 'integer' },
        amount: { type: ['null', 'number'] },
        at: { type: ['null', 'string'], format: 'date-time' },
      }),
      record('orders', { id: 1, amount: new Decimal('12345678901234567890.123456789012345'), at: '2024-02-29T23:59:59.999999+05:30' }),
      record('orders', { id: 2, amount: 1.5, at: null }),
      { type: 'STATE', value: { bookmarks: { orders: { id: 2 } } } },
      record('orders', { id: 1, amount: 2, at: '2024-01-01T00:00:00Z' }),
    ]);
    expect(states.map((s) => s.value)).toEqual([{ bookmarks: { orders: { id: 2 } } }]);
    const rows = await standIn.rows(config.dataset, 'orders');
    expect(rows.sort((a, b) => Number(a['id']) - Number(b['id']))).toEqual([
      { id: '1', amount: '2', at: '2024-01-01T00:00:00.000000Z' },
      { id: '2', amount: '1.5', at: null },
    ]);
    expect(standIn.schema(config.dataset, 'orders')).toEqual([
      { name: 'id', type: 'INT64', mode: 'REQUIRED' },
      { name: 'amount', type: 'BIGNUMERIC', mode: 'NULLABLE' },
      { name: 'at', type: 'TIMESTAMP', mode: 'NULLABLE' },
    ]);
    expect(standIn.requestsTo(/^\/upload\/bigquery\/v2\/projects\/[^/]+\/jobs$/).length).toBeGreaterThan(0);
    expect(standIn.statements.some((s) => s.startsWith('MERGE INTO `'))).toBe(true);
    // Staging tables are gone after the commit.
    expect(standIn.tableNames(config.dataset).filter((t) => t.startsWith('_mage_stage_'))).toEqual([]);
  });

  it("Mage's lower_case: true (the default) folds table and column names to lower case, false keeps their case", async () => {
    const mixed = (stream: string): SourceMessage[] => [
      schema(stream, { Id: { type: 'integer' }, AccountName: { type: ['null', 'string'] } }, ['Id']),
      record(stream, { Id: 1, AccountName: 'Acme' }),
    ];
    await load({ ...config, lower_case: true } as Config, mixed('Folded'));
    expect(standIn.schema(config.dataset, 'folded')?.map((c) => c.name)).toEqual(['id', 'accountname']);
    await load({ ...config, lower_case: false } as Config, mixed('Kept'));
    expect(standIn.tableNames(config.dataset)).toContain('Kept');
    expect(standIn.schema(config.dataset, 'Kept')?.map((c) => c.name)).toEqual(['Id', 'AccountName']);
    // a second load into the kept-case table finds its columns (BigQuery matches them ignoring case) and upserts
    await load({ ...config, lower_case: false } as Config, [...mixed('Kept'), record('Kept', { Id: 1, AccountName: 'Acme Inc' })]);
    expect(await standIn.rows(config.dataset, 'Kept')).toEqual([{ Id: '1', AccountName: 'Acme Inc' }]);
  });

  it("Mage's truncate_table_before_full_table_sync: a second FULL_TABLE sync leaves only its own rows", async () => {
    const sync = (stream: string, version: number, ids: number[]): SourceMessage[] => [
      schema(stream, { id: { type: 'integer' } }),
      { type: 'ACTIVATE_VERSION', stream, version },
      ...ids.map((id): SourceMessage => ({ type: 'RECORD', stream, record: { id }, version })),
      { type: 'ACTIVATE_VERSION', stream, version },
    ];
    const truncating = { ...config, truncate_table_before_full_table_sync: true } as Config;
    await load(truncating, sync('truncated', 1, [1, 2, 3]));
    await load(truncating, sync('truncated', 2, [1, 3]));
    expect((await standIn.rows(config.dataset, 'truncated')).map((r) => r['id']).sort()).toEqual(['1', '3']);
    // without it the row gone from the source stays, marked deleted
    await load(config, sync('versions_kept', 1, [1, 2, 3]));
    await load(config, sync('versions_kept', 2, [1, 3]));
    const kept = await standIn.rows(config.dataset, 'versions_kept');
    expect(kept.map((r) => r['id']).sort()).toEqual(['1', '2', '3']);
    expect(kept.find((r) => r['id'] === '2')?.['_sdc_deleted_at']).not.toBeNull();
  });
});
