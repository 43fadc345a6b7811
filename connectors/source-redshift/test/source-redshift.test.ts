// source-redshift against the Redshift stand-in (PostgreSQL behind the wire-protocol proxy, with s3rver for UNLOAD):
// discovery from SVV_TABLES/SVV_COLUMNS with declared keys, every type exact through the cursor and through UNLOAD,
// INCREMENTAL keyset resume inside a run of equal replication-key values, FULL_TABLE resume after the last key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyState, getMetadata, setMetadata, silentLogger, stringifyExactJson, type Catalog, type State } from '@mage-int/core';
import { readAll } from '@mage-int/testkit';
import redshiftSource, { type Config } from '../src/index.js';
import { seededStandIn, TEST_ROLE, unloadSettings, type Seeded } from './seed.js';

const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

function select(catalog: Catalog, stream: string, incremental?: string): Catalog {
  for (const entry of catalog.streams) {
    setMetadata(entry, [], { selected: entry.tap_stream_id === stream });
    if (entry.tap_stream_id === stream && incremental)
      setMetadata(entry, [], { 'replication-method': 'INCREMENTAL', 'replication-key': incremental });
  }
  return catalog;
}

/** Records as plain JSON, numbers a double cannot hold exactly as their digits (strings). */
const exact = (records: unknown[]) =>
  JSON.parse(stringifyExactJson(records), (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && String(value) !== context.source ? context.source : value,
  ) as Record<string, unknown>[];

/** Reads until the STATE after `limit` records (as a run killed then), returning each STATE with the records before it. */
async function readUntil(config: Config, catalog: Catalog, state: State, limit: number): Promise<{ state: State; before: number }[]> {
  const states: { state: State; before: number }[] = [];
  let count = 0;
  for await (const message of redshiftSource.read(config, catalog, state, ctx())) {
    if (message.type === 'RECORD_BATCH') count += message.records.length;
    if (message.type === 'STATE') {
      states.push({ state: message.value as State, before: count });
      if (count >= limit) break;
    }
  }
  return states;
}

const EXPECTED_ORDERS = [
  {
    id: 1,
    big: '9223372036854775807',
    amount: '12345678901234567890123456789012345.67',
    ratio: 0.25,
    note: 'plain',
    ok: true,
    day: '2024-02-29',
    updated_at: '2024-01-01T00:00:00.000001+00:00',
    local_at: '2024-01-01T10:00:00.5',
    attrs: { a: [1, 'x'], n: '12345678901234567890' },
    blob: 'AP8=',
  },
  {
    id: 2,
    big: -5,
    amount: 0.01,
    ratio: -1.5,
    note: 'with "quote", comma\nand newline',
    ok: false,
    day: '1970-01-01',
    updated_at: '2024-01-01T00:00:00.000001+00:00',
    local_at: null,
    attrs: [],
    blob: null,
  },
  {
    id: 3,
    big: null,
    amount: null,
    ratio: null,
    note: '',
    ok: null,
    day: null,
    updated_at: '2024-01-02T12:30:00+00:00',
    local_at: null,
    attrs: null,
    blob: null,
  },
  {
    id: 4,
    big: 4,
    amount: 4,
    ratio: 4,
    note: null,
    ok: true,
    day: '2024-03-01',
    updated_at: '2024-01-02T12:30:00+00:00',
    local_at: '2024-03-01T00:00:00',
    attrs: 'text',
    blob: '',
  },
];

describe('source-redshift against the Redshift stand-in', () => {
  let seeded: Seeded;
  let config: Config;
  beforeAll(async () => {
    seeded = await seededStandIn();
    config = seeded.config;
  });
  afterAll(() => seeded.close());

  it('discovers tables and views of the schema with declared keys, Redshift types and row counts', async () => {
    const catalog = await redshiftSource.discover(config, ctx());
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(['sales-big_orders', 'sales-events', 'sales-orders']);
    const orders = catalog.streams.find((s) => s.tap_stream_id === 'sales-orders');
    expect(orders?.stream).toBe('orders');
    expect(orders?.key_properties).toEqual(['id']);
    expect(orders?.schema.properties?.['amount']).toMatchObject({ type: ['null', 'number'], 'sql-datatype': 'numeric(38,2)' });
    expect(orders?.schema.properties?.['updated_at']).toMatchObject({ format: 'date-time', 'sql-datatype': 'timestamp with time zone' });
    expect(orders?.schema.properties?.['attrs']).toMatchObject({ 'sql-datatype': 'super' });
    expect(orders?.schema.properties?.['blob']).toMatchObject({ contentEncoding: 'base64', 'sql-datatype': 'varbyte' });
    expect(getMetadata(orders as never)['valid-replication-keys']).toEqual(['id', 'big', 'amount', 'day', 'updated_at', 'local_at']);
    expect(getMetadata(catalog.streams.find((s) => s.tap_stream_id === 'sales-big_orders') as never)['is-view']).toBe(true);
  });

  it('reads every type exactly through the cursor, batch by batch, in key order', async () => {
    const catalog = select(await redshiftSource.discover(config, ctx()), 'sales-orders');
    const result = await readAll(redshiftSource as never, config, catalog, emptyState());
    expect(exact(result.records.get('sales-orders') ?? [])).toEqual(EXPECTED_ORDERS);
    expect(result.states.length).toBeGreaterThanOrEqual(2); // batch_size 2: a STATE per FETCH
  });

  it('INCREMENTAL resumes exactly after the last committed row inside a run of equal updated_at values', async () => {
    const catalog = select(await redshiftSource.discover(config, ctx()), 'sales-orders', 'updated_at');
    const first = await readUntil(config, catalog, emptyState(), 3);
    const mid = first.find((s) => s.before === 2)?.state as State;
    expect(mid.bookmarks['sales-orders']).toMatchObject({
      replication_key_value: '2024-01-01T00:00:00.000001+00:00',
      replication_key_pk: { id: 2 },
    });
    const rest = await readAll(redshiftSource as never, config, catalog, mid);
    expect((rest.records.get('sales-orders') ?? []).map((r) => r['id'])).toEqual([3, 4]);
    // A finished run keeps the value only: the next run reads that value again (rows arriving later with it too).
    const again = await readAll(redshiftSource as never, config, catalog, rest.finalState);
    expect((again.records.get('sales-orders') ?? []).map((r) => r['id'])).toEqual([3, 4]);
  });

  it('FULL_TABLE resumes after the last key fetched under the same version', async () => {
    const catalog = select(await redshiftSource.discover(config, ctx()), 'sales-orders');
    const first = await readUntil(config, catalog, emptyState(), 2);
    const state = first.find((s) => s.before === 2)?.state as State;
    expect(state.bookmarks['sales-orders']?.['last_pk_fetched']).toEqual({ id: 2 });
    const rest = await readAll(redshiftSource as never, config, catalog, state);
    expect((rest.records.get('sales-orders') ?? []).map((r) => r['id'])).toEqual([3, 4]);
  });

  it('FULL_TABLE by UNLOAD to S3 gives the same records, and deletes the unloaded files', async () => {
    const unloadConfig: Config = { ...config, unload: unloadSettings(seeded, 0) };
    const catalog = select(await redshiftSource.discover(unloadConfig, ctx()), 'sales-orders');
    const result = await readAll(redshiftSource as never, unloadConfig, catalog, emptyState());
    const rows = exact(result.records.get('sales-orders') ?? []).sort((a, b) => Number(a['id']) - Number(b['id']));
    expect(rows).toEqual(EXPECTED_ORDERS);
    expect(seeded.standIn.unloads).toHaveLength(1);
    expect(seeded.standIn.unloads[0]?.url).toMatch(/^s3:\/\/redshift-unloads\/tmp\/mage-int-redshift-unload\/[0-9a-f]+\/sales-orders\/$/);
    expect(seeded.standIn.statements.some((s) => s.startsWith('UNLOAD') && s.includes('sales'))).toBe(true);
    const { S3Storage } = await import('@mage-int/files-s3');
    const storage = new S3Storage({ ...seeded.s3.settings, bucket: 'redshift-unloads' });
    const left: string[] = [];
    for await (const file of storage.list('')) left.push(file.key);
    await storage.close();
    expect(left).toEqual([]);
    // Views and INCREMENTAL syncs stay on the cursor.
    const incremental = select(await redshiftSource.discover(unloadConfig, ctx()), 'sales-orders', 'updated_at');
    await readAll(redshiftSource as never, unloadConfig, incremental, emptyState());
    expect(seeded.standIn.unloads).toHaveLength(1);
  });

  it('an UNLOAD the cluster may not run fails naming the role', async () => {
    const bad: Config = { ...config, unload: { ...unloadSettings(seeded, 0), iam_role: 'arn:aws:iam::123456789012:role/other' } };
    const catalog = select(await redshiftSource.discover(bad, ctx()), 'sales-events');
    await expect(readAll(redshiftSource as never, bad, catalog, emptyState())).rejects.toThrow(/not authorized to assume IAM Role/);
    expect(TEST_ROLE).not.toBe(bad.unload?.iam_role);
  });
});
