import { describe, expect, it } from 'vitest';
import { stringifyExactJson, type SourceMessage, type State } from '@mage-int/core';
import { catalogFor, lastState, readAll, recordsOf, states, upsert } from './helpers.js';

const config = { seed: 3, customers: 400, products: 30, orders: 3000, batch_size: 500 };

function types(messages: SourceMessage[]): string[] {
  return messages.map((m) => m.type);
}

/** The messages up to and including the n-th STATE (what a run interrupted after that commit had delivered). */
function upToState(messages: SourceMessage[], n: number): SourceMessage[] {
  let seen = 0;
  const index = messages.findIndex((m) => m.type === 'STATE' && ++seen === n);
  return messages.slice(0, index + 1);
}

describe('FULL_TABLE', () => {
  it('announces a version, stamps every batch with it, checkpoints by id and activates it at the end', async () => {
    const messages = await readAll(config, await catalogFor(config, { orders: {} }));
    expect(types(messages)).toEqual([
      'SCHEMA',
      'ACTIVATE_VERSION',
      ...Array(6).fill(['RECORD_BATCH', 'STATE']).flat(),
      'ACTIVATE_VERSION',
      'STATE',
    ]);
    const version = (messages[1] as { version: number }).version;
    expect(messages.every((m) => m.type !== 'RECORD_BATCH' || m.version === version)).toBe(true);
    expect(states(messages).map((s) => s.bookmarks['orders'])).toEqual([
      ...[500, 1000, 1500, 2000, 2500, 3000].map((id) => ({ version, last_pk_fetched: { id } })),
      { version },
    ]);
    expect(states(messages).map((s) => s.currently_syncing)).toEqual([...Array(6).fill('orders'), null]);
  });

  it('starts the next full sync with a newer version, activated only at its end', async () => {
    const catalog = await catalogFor(config, { products: {} });
    const first = await readAll(config, catalog);
    const second = await readAll(config, catalog, lastState(first));
    expect(types(second)).toEqual(['SCHEMA', 'RECORD_BATCH', 'STATE', 'ACTIVATE_VERSION', 'STATE']);
    const v1 = lastState(first).bookmarks['products']?.version as number;
    const v2 = lastState(second).bookmarks['products']?.version as number;
    expect(v2).toBeGreaterThan(v1);
    expect(recordsOf(second, 'products')).toEqual(recordsOf(first, 'products'));
  });

  it('resumes an interrupted sync after the last committed id, with the same version and no duplicates', async () => {
    const catalog = await catalogFor(config, { orders: {} });
    const full = await readAll(config, catalog);
    const delivered = upToState(full, 2);
    const checkpoint = lastState(delivered);
    expect(checkpoint.bookmarks['orders']?.last_pk_fetched).toEqual({ id: 1000 });

    const resumed = await readAll(config, catalog, checkpoint);
    expect(types(resumed).slice(0, 2)).toEqual(['SCHEMA', 'RECORD_BATCH']);
    expect(recordsOf(resumed, 'orders')[0]?.['id']).toBe(1001);
    const version = checkpoint.bookmarks['orders']?.version;
    expect(resumed.filter((m) => m.type === 'ACTIVATE_VERSION')).toEqual([{ type: 'ACTIVATE_VERSION', stream: 'orders', version }]);
    const combined = [...recordsOf(delivered, 'orders'), ...recordsOf(resumed, 'orders')];
    expect(stringifyExactJson(combined)).toBe(stringifyExactJson(recordsOf(full, 'orders')));
  });

  it('syncs the interrupted stream first, then the others', async () => {
    const catalog = await catalogFor(config, { customers: {}, products: {}, orders: {} });
    const full = await readAll(config, catalog);
    const interrupted = states(full).find((s) => s.currently_syncing === 'orders')!;
    const resumed = await readAll(config, catalog, interrupted);
    const schemas = resumed.filter((m) => m.type === 'SCHEMA').map((m) => (m as { stream: string }).stream);
    expect(schemas).toEqual(['orders', 'customers', 'products']);
  });
});

describe('INCREMENTAL', () => {
  const incremental = {
    customers: { method: 'INCREMENTAL' as const },
    products: { method: 'INCREMENTAL' as const },
    orders: { method: 'INCREMENTAL' as const },
  };

  it('reads everything the first time and bookmarks the largest updated_at', async () => {
    const messages = await readAll(config, await catalogFor(config, incremental));
    for (const stream of ['customers', 'products', 'orders'] as const) {
      const records = recordsOf(messages, stream);
      expect(records).toHaveLength(config[stream]);
      const largest = records
        .map((r) => String(r['updated_at']))
        .sort()
        .at(-1);
      expect(lastState(messages).bookmarks[stream]).toEqual({ replication_key: 'updated_at', replication_key_value: largest });
    }
    const schema = messages.find((m) => m.type === 'SCHEMA');
    expect(schema?.type === 'SCHEMA' && schema.bookmark_properties).toEqual(['updated_at']);
    expect(messages.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
  });

  it('returns nothing older than the bookmark when re-run from the final state', async () => {
    const catalog = await catalogFor(config, incremental);
    const first = await readAll(config, catalog);
    const bookmarkState = lastState(first);
    const second = await readAll(config, catalog, bookmarkState);
    for (const stream of ['customers', 'products', 'orders'] as const) {
      const bookmark = String(bookmarkState.bookmarks[stream]?.replication_key_value);
      const again = recordsOf(second, stream);
      expect(again.length).toBeLessThanOrEqual(1);
      for (const record of again) expect(String(record['updated_at']) >= bookmark).toBe(true);
      expect(lastState(second).bookmarks[stream]?.replication_key_value).toBe(bookmark);
    }
  });

  it.each(['customers', 'products', 'orders'] as const)(
    'picks up new %s and later updates when the stream grows, ending where a full read ends',
    async (stream) => {
      const catalog = await catalogFor(config, { [stream]: { method: 'INCREMENTAL' } });
      const first = await readAll(config, catalog);
      // A larger count moves the stream's simulated time forward: new records, and updates to old ones.
      const grown = { ...config, [stream]: config[stream] * 2 };
      const second = await readAll(grown, catalog, lastState(first));
      const fresh = await readAll(grown, catalog);
      const bookmark = String(lastState(first).bookmarks[stream]?.replication_key_value);
      const changes = recordsOf(second, stream);
      for (const record of changes) expect(String(record['updated_at']) >= bookmark, `${stream} ${String(record['id'])}`).toBe(true);
      expect(changes.some((r) => (r['id'] as number) <= config[stream])).toBe(true);
      expect(changes.length).toBeLessThan(grown[stream]);
      const merged = upsert(upsert(new Map(), recordsOf(first, stream)), changes);
      const expected = upsert(new Map(), recordsOf(fresh, stream));
      expect(merged.size).toBe(expected.size);
      for (const [id, record] of expected) expect(stringifyExactJson(merged.get(id)), `${stream} ${id}`).toBe(stringifyExactJson(record));
    },
  );

  it('misses nothing when the bookmark lets it skip records too old to have changed', async () => {
    // 60k orders span ~42 simulated days, longer than an order's ~30-day lifecycle, so the re-run starts past id 1.
    const big = { orders: 60_000, batch_size: 10_000 };
    const catalog = await catalogFor(big, { orders: { method: 'INCREMENTAL' } });
    const first = await readAll(big, catalog);
    const grown = { ...big, orders: 61_000 };
    const changes = recordsOf(await readAll(grown, catalog, lastState(first)), 'orders');
    const fresh = recordsOf(await readAll(grown, catalog), 'orders');
    const bookmark = String(lastState(first).bookmarks['orders']?.replication_key_value);
    const changed = fresh.filter((r) => String(r['updated_at']) >= bookmark);
    expect(changes.map((r) => r['id'])).toEqual(changed.map((r) => r['id']));
    expect(changed.length).toBeGreaterThan(1000);
  });

  it('resumes from a mid-sync state without losing a record', async () => {
    const catalog = await catalogFor(config, { orders: { method: 'INCREMENTAL' } });
    const full = await readAll(config, catalog);
    const delivered = upToState(full, 3);
    const checkpoint = lastState(delivered);
    const watermark = String(checkpoint.bookmarks['orders']?.replication_key_value);
    const resumed = await readAll(config, catalog, checkpoint);
    for (const record of recordsOf(resumed, 'orders')) expect(String(record['updated_at']) >= watermark).toBe(true);
    const merged = upsert(upsert(new Map(), recordsOf(delivered, 'orders')), recordsOf(resumed, 'orders'));
    expect(merged.size).toBe(config.orders);
    // The watermark only moves forward.
    const values = states(full).map((s) => String(s.bookmarks['orders']?.replication_key_value));
    expect(values).toEqual([...values].sort());
  });

  it('replicates on created_at too: a re-run returns only records created at or after the bookmark', async () => {
    const catalog = await catalogFor(config, { orders: { method: 'INCREMENTAL', key: 'created_at' } });
    const first = await readAll(config, catalog);
    expect(lastState(first).bookmarks['orders']).toEqual({
      replication_key: 'created_at',
      replication_key_value: recordsOf(first, 'orders').at(-1)?.['created_at'],
    });
    const grown = { ...config, orders: 3500 };
    const second = recordsOf(await readAll(grown, catalog, lastState(first)), 'orders');
    expect(second.map((r) => r['id'])).toEqual(Array.from({ length: 501 }, (_, i) => 3000 + i));
  });

  it('starts from scratch when the bookmark belongs to another replication key', async () => {
    const catalog = await catalogFor(config, { products: { method: 'INCREMENTAL' } });
    const state: State = { bookmarks: { products: { replication_key: 'created_at', replication_key_value: '2999-01-01T00:00:00.000Z' } } };
    expect(recordsOf(await readAll(config, catalog, state), 'products')).toHaveLength(config.products);
  });

  it('names the stream when a saved bookmark is not a timestamp', async () => {
    const catalog = await catalogFor(config, { products: { method: 'INCREMENTAL' } });
    const state: State = { bookmarks: { products: { replication_key: 'updated_at', replication_key_value: 'last tuesday' } } };
    await expect(readAll(config, catalog, state)).rejects.toThrow(/stream "products".*not an ISO-8601 timestamp/);
  });
});
