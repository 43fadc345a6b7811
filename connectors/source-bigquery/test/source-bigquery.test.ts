import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  type Decimal,
  emptyState,
  getMetadata,
  setMetadata,
  silentLogger,
  type Catalog,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import type { BigQueryStandIn } from '@mage-int/testkit';
import { readAll } from '@mage-int/testkit';
import bigquerySource, { BigQuerySource, type Config } from '../src/index.js';
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

describe('source-bigquery against the BigQuery stand-in', () => {
  let standIn: BigQueryStandIn;
  let config: Config;
  beforeAll(async () => {
    ({ standIn, config } = await seededStandIn());
    config = {
      ...config,
      page_size: 2,
      queries: [
        {
          name: 'recent',
          sql: `SELECT id, updated_at FROM \`${config.dataset}.orders\` WHERE id > 1`,
          key_properties: ['id'],
          replication_key: 'updated_at',
        },
      ],
    };
  });
  afterAll(() => standIn.close());

  it('discovers tables with their key (PRIMARY KEY NOT ENFORCED), BigQuery types, and query streams by a dry run', async () => {
    const catalog = await bigquerySource.discover(config, ctx());
    const orders = catalog.streams.find((s) => s.tap_stream_id === 'orders');
    expect(orders?.key_properties).toEqual(['id']);
    expect(orders?.schema.properties?.['amount']).toMatchObject({ type: ['null', 'number'], 'sql-datatype': 'BIGNUMERIC' });
    expect(orders?.schema.properties?.['updated_at']).toMatchObject({
      type: ['null', 'string'],
      format: 'date-time',
      'sql-datatype': 'TIMESTAMP',
    });
    expect(orders?.schema.properties?.['tags']).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(getMetadata(orders as never)['valid-replication-keys']).toEqual(['id', 'big', 'amount', 'updated_at', 'note']);
    const recent = catalog.streams.find((s) => s.tap_stream_id === 'recent');
    expect(recent?.key_properties).toEqual(['id']);
    expect(getMetadata(recent as never)['replication-key']).toBe('updated_at');
    expect(standIn.requests.some((r) => r.path.endsWith('/jobs') && r.body.includes('"dryRun":true'))).toBe(true);
  });

  it('reads every row exactly, page by page', async () => {
    const catalog = select(await bigquerySource.discover(config, ctx()), 'orders');
    const result = await readAll(bigquerySource, config, catalog, emptyState());
    const rows = (result.records.get('orders') ?? []).sort((a, b) => Number(a['id']) - Number(b['id']));
    expect(rows[0]).toMatchObject({
      id: 1,
      big: 9223372036854775807n,
      updated_at: '2024-01-01T00:00:00.000001Z',
      tags: ['a', 'b'],
      note: 'first',
    });
    expect((rows[0]?.['amount'] as Decimal).text).toBe('12345678901234567890.123456789012345678');
    expect(String((rows[0]?.['attrs'] as { text: string }).text)).toBe('{"k":[1,2]}');
    expect(rows.map((r) => r['amount'])).toMatchObject([expect.anything(), 0.5, null, 1]);
    expect(standIn.requestsTo(/\/queries\/[^/]+$/).some((r) => r.query.get('pageToken'))).toBe(true);
  });

  it('reads incrementally by a column, resumes from the bookmark inclusively, and reads nothing past it', async () => {
    const catalog = select(await bigquerySource.discover(config, ctx()), 'orders', 'updated_at');
    const first = await readAll(bigquerySource, config, catalog, emptyState());
    expect((first.records.get('orders') ?? []).map((r) => r['id'])).toEqual([1, 2, 3, 4]);
    expect(first.finalState.bookmarks['orders']).toMatchObject({
      replication_key: 'updated_at',
      replication_key_value: '2024-01-03T12:30:00.123456Z',
    });
    const second = await readAll(bigquerySource, config, catalog, first.finalState);
    expect((second.records.get('orders') ?? []).map((r) => r['id'])).toEqual([4]);
    const query = select(await bigquerySource.discover(config, ctx()), 'recent', 'updated_at');
    const fromQuery = await readAll(bigquerySource, config, query, {
      bookmarks: { recent: { replication_key: 'updated_at', replication_key_value: '2024-01-02T00:00:00Z' } },
    });
    expect((fromQuery.records.get('recent') ?? []).map((r) => r['id'])).toEqual([2, 3, 4]);
  });

  it("takes Mage's batch_fetch_limit as the page size, and the destination keys its docs list with a warning", async () => {
    const { page_size: _, ...rest } = config;
    const mage = { ...rest, batch_fetch_limit: 2, lower_case: true, skip_schema_creation: false } as Config;
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });
    const before = standIn.requests.length;
    const source = new BigQuerySource({ config: mage, logger });
    const catalog = select(await source.discover(), 'orders');
    let rows = 0;
    for await (const message of source.read(catalog)) if (message.type === 'RECORD_BATCH') rows += message.records.length;
    expect(rows).toBe((await readAll(bigquerySource, config, catalog, emptyState())).records.get('orders')?.length);
    expect(rows).toBeGreaterThan(2);
    const pages = standIn.requests.slice(before).filter((r) => /\/queries\/[^/]+$/.test(r.path));
    expect(pages.every((r) => r.query.get('maxResults') === '2')).toBe(true);
    expect(pages.some((r) => r.query.get('pageToken'))).toBe(true);
    expect(warnings.join('\n')).toMatch(/lower_case .*has no effect on a source/);
  });

  it("reads in the service account key's project when project_id is not set", async () => {
    const { project_id, ...noProject } = config;
    const catalog = select(await bigquerySource.discover(noProject, ctx()), 'orders');
    const result = await readAll(bigquerySource, noProject, catalog, emptyState());
    expect((result.records.get('orders') ?? []).length).toBe(4);
    const otherKey = { ...(JSON.parse(config.credentials_json as string) as Record<string, unknown>), project_id: 'another-project' };
    const other = await bigquerySource.check({ ...noProject, credentials_json: JSON.stringify(otherKey) }, ctx());
    expect(other).toMatchObject({ ok: false, message: expect.stringMatching(/Project another-project/) });
    const { project_id: _, ...keyWithoutProject } = otherKey;
    const none = await bigquerySource.check({ ...noProject, credentials_json: JSON.stringify(keyWithoutProject) }, ctx());
    expect(none).toMatchObject({ ok: false, message: expect.stringMatching(/project_id/) });
  });

  it('resumes an interrupted full-table sync after the last committed key, under the same version', async () => {
    const catalog = select(await bigquerySource.discover(config, ctx()), 'orders');
    // A sync killed after its first page: the last STATE it emitted is what the destination committed.
    let saved: State | undefined;
    const firstIds: unknown[] = [];
    for await (const message of bigquerySource.read(config, catalog, emptyState(), ctx())) {
      if (message.type === 'RECORD') firstIds.push(message.record['id']);
      if (message.type === 'RECORD_BATCH') firstIds.push(...message.records.map((r) => r['id']));
      if (message.type === 'STATE' && (message.value as State).bookmarks['orders']?.last_pk_fetched) {
        saved = message.value as State;
        break;
      }
    }
    expect(firstIds).toEqual([1, 2]);
    const version = saved?.bookmarks['orders']?.version;
    expect(version).toEqual(expect.any(Number));
    expect(saved).toEqual({ currently_syncing: 'orders', bookmarks: { orders: { version, last_pk_fetched: { id: 2 } } } });

    const queriesBefore = standIn.requestsTo(/\/jobs$/).length;
    const resumed = await readAll(bigquerySource, config, catalog, JSON.parse(JSON.stringify(saved)) as State);
    expect((resumed.records.get('orders') ?? []).map((r) => r['id'])).toEqual([3, 4]);
    const query = standIn
      .requestsTo(/\/jobs$/)
      .slice(queriesBefore)
      .map((r) => r.body)
      .find((body) => body.includes('`.`orders`'));
    expect(query).toMatch(/WHERE \(`id` > CAST\('2' AS INT64\)\) ORDER BY `id`/);
    // The sync ends under the version it started with; nothing left to resume.
    expect(resumed.finalState).toEqual({ currently_syncing: null, bookmarks: { orders: { version } } });

    // A sync from no state reads the whole table in key order.
    const whole = await readAll(bigquerySource, config, catalog, emptyState());
    expect((whole.records.get('orders') ?? []).map((r) => r['id'])).toEqual([1, 2, 3, 4]);
  });

  it("fails check() with BigQuery's reason for a dataset that does not exist", async () => {
    const result = await bigquerySource.check({ ...config, dataset: 'no_such_dataset', queries: [] }, ctx());
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/Not found: Dataset/);
  });
});

export type { SourceMessage };
