import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Catalog, type SourceMessage, type State } from '@mage-int/core';
import source from '../src/index.js';
import { PostgreSQL } from '../src/index.js';
import { collect, createTestDatabase, lastState, recordsOf, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  db = await createTestDatabase({ batch_size: 1000 });
  await db.sql(`
    CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(14,2), updated_at timestamptz NOT NULL);
    INSERT INTO orders SELECT g, 'c' || (g % 7), g * 1.25, '2024-05-01 10:00:00.123456+00' FROM generate_series(1, 10000) g;
    CREATE TABLE pairs (a int, b text, v int, PRIMARY KEY (a, b));
    INSERT INTO pairs SELECT g % 10, 'k' || g, g FROM generate_series(1, 2500) g;
    CREATE TABLE loose (v text, seq int);
    INSERT INTO loose SELECT 'row' || g, g / 3 FROM generate_series(1, 30) g;
  `);
  catalog = await new PostgreSQL({ config: db.config }).discover();
});
afterAll(async () => db.drop());

function read(cat: Catalog, state: State = { bookmarks: {} }): Promise<SourceMessage[]> {
  return collect(source.read(db.config, cat, state, ctx()));
}

describe('FULL_TABLE', () => {
  it('emits SCHEMA, record batches with a version, and ACTIVATE_VERSION last', async () => {
    const messages = await read(select(catalog, { orders: { method: 'FULL_TABLE' } }));
    expect(messages[0]).toMatchObject({ type: 'SCHEMA', stream: 'orders', key_properties: ['id'] });
    const records = recordsOf(messages, 'orders');
    expect(records).toHaveLength(10000);
    expect(records[0]).toEqual({
      id: 1,
      customer: 'c1',
      total: expect.objectContaining({ text: '1.25' }),
      updated_at: '2024-05-01T10:00:00.123456+00:00',
    });
    const batches = messages.filter((m) => m.type === 'RECORD_BATCH');
    expect(batches).toHaveLength(10);
    const version = (batches[0] as { version: number }).version;
    expect(batches.every((b) => (b as { version?: number }).version === version)).toBe(true);
    const activate = messages.findIndex((m) => m.type === 'ACTIVATE_VERSION');
    expect(messages[activate]).toEqual({ type: 'ACTIVATE_VERSION', stream: 'orders', version });
    expect(messages.slice(activate).some((m) => m.type === 'RECORD_BATCH')).toBe(false);
    const state = lastState(messages);
    expect(state.bookmarks['public-orders']).toEqual({ version });
    expect(state.currently_syncing).toBeNull();
  });

  it('resumes an interrupted sync after last_pk_fetched with the same version, without duplicates', async () => {
    const cat = select(catalog, { pairs: { method: 'FULL_TABLE' } });
    const first: SourceMessage[] = [];
    let states = 0;
    for await (const m of source.read(db.config, cat, { bookmarks: {} }, ctx())) {
      first.push(m);
      if (m.type === 'STATE' && ++states === 3) break; // stop mid-table (after two batches)
    }
    const interrupted = lastState(first);
    expect(interrupted.currently_syncing).toBe('public-pairs');
    expect(interrupted.bookmarks['public-pairs']?.last_pk_fetched).toBeDefined();
    const rest = await read(cat, interrupted);
    const all = [...recordsOf(first, 'pairs'), ...recordsOf(rest, 'pairs')];
    expect(all).toHaveLength(2500);
    expect(new Set(all.map((r) => `${r['a']}/${r['b']}`)).size).toBe(2500);
    const activate = rest.find((m) => m.type === 'ACTIVATE_VERSION');
    expect(activate).toMatchObject({ version: interrupted.bookmarks['public-pairs']?.version });
  });

  it('copies a table without a primary key in one pass', async () => {
    const messages = await read(select(catalog, { loose: { method: 'FULL_TABLE' } }));
    expect(recordsOf(messages, 'loose')).toHaveLength(30);
  });
});

describe('INCREMENTAL', () => {
  it('reads exactly 10,000 rows sharing one updated_at with a batch size of 1,000', async () => {
    const messages = await read(select(catalog, { orders: { method: 'INCREMENTAL', key: 'updated_at' } }));
    const records = recordsOf(messages, 'orders');
    expect(records).toHaveLength(10000);
    expect(new Set(records.map((r) => r['id'])).size).toBe(10000);
    expect(messages.filter((m) => m.type === 'RECORD_BATCH')).toHaveLength(10);
    const state = lastState(messages);
    expect(state.bookmarks['public-orders']).toEqual({
      replication_key: 'updated_at',
      replication_key_value: '2024-05-01T10:00:00.123456+00:00',
    });
  });

  it('resumes mid-stream from the per-batch bookmark without losing or repeating rows', async () => {
    const cat = select(catalog, { orders: { method: 'INCREMENTAL', key: 'updated_at' } });
    const first: SourceMessage[] = [];
    let states = 0;
    for await (const m of source.read(db.config, cat, { bookmarks: {} }, ctx())) {
      first.push(m);
      if (m.type === 'STATE' && ++states === 5) break;
    }
    const mid = lastState(first);
    expect(mid.bookmarks['public-orders']?.['replication_key_pk']).toEqual({ id: 4000 });
    const rest = await read(cat, mid);
    const ids = [...recordsOf(first, 'orders'), ...recordsOf(rest, 'orders')].map((r) => r['id']);
    expect(ids).toHaveLength(10000);
    expect(new Set(ids).size).toBe(10000);
  });

  it('picks up new and updated rows on the next run', async () => {
    const cat = select(catalog, { orders: { method: 'INCREMENTAL', key: 'updated_at' } });
    const done = lastState(await read(cat));
    await db.sql(`UPDATE orders SET total = 99.99, updated_at = '2024-06-01 00:00:00+00' WHERE id = 42`);
    await db.sql(`INSERT INTO orders VALUES (10001, 'new', 1.00, '2024-06-02 00:00:00+00')`);
    const next = recordsOf(await read(cat, done), 'orders');
    // rows at the last bookmark value are re-read (inclusive), then the two changed rows
    expect(next.slice(-2).map((r) => r['id'])).toEqual([42, 10001]);
    const again = recordsOf(await read(cat, lastState(await read(cat, done))), 'orders');
    expect(again.map((r) => r['id'])).toEqual([10001]);
    await db.sql(
      `DELETE FROM orders WHERE id = 10001; UPDATE orders SET updated_at = '2024-05-01 10:00:00.123456+00', total = 52.50 WHERE id = 42`,
    );
  });

  it('keyset-pages on a composite key with a non-unique replication key', async () => {
    const cat = select(catalog, { pairs: { method: 'INCREMENTAL', key: 'a' } });
    const records = recordsOf(await read(cat), 'pairs');
    expect(records).toHaveLength(2500);
    expect(new Set(records.map((r) => `${r['a']}/${r['b']}`)).size).toBe(2500);
  });

  it('answers a bookmark beyond the range of an integer replication key without querying it: nothing newer, or everything', async () => {
    const cat = select(catalog, { orders: { method: 'INCREMENTAL', key: 'id' } });
    const bookmark = (value: unknown): State => ({
      bookmarks: { 'public-orders': { replication_key: 'id', replication_key_value: value } },
    });
    for (const beyond of [Number.MAX_SAFE_INTEGER, 2n ** 40n, '2147483648']) {
      const messages = await read(cat, bookmark(beyond));
      expect(recordsOf(messages, 'orders')).toHaveLength(0);
      expect(lastState(messages).bookmarks['public-orders']).toMatchObject({ replication_key: 'id', replication_key_value: beyond });
    }
    expect(recordsOf(await read(cat, bookmark(-(2n ** 40n))), 'orders')).toHaveLength(10000);
    expect(recordsOf(await read(cat, bookmark(9999)), 'orders').map((r) => r['id'])).toEqual([9999, 10000]);
  });

  it('fails clearly when no replication key is set', async () => {
    await expect(read(select(catalog, { orders: { method: 'INCREMENTAL' } }))).rejects.toThrow(/needs a replication key/);
  });
});

describe('wide rows', () => {
  it('reads rows of 1 MB eight to a batch, splitting a keyset page across batches without losing or repeating rows', async () => {
    await db.sql(`CREATE TABLE wide_docs (id int PRIMARY KEY, updated int NOT NULL, body text);
      INSERT INTO wide_docs SELECT g, g / 4, repeat(md5(g::text), 32768) FROM generate_series(1, 30) g`);
    const config = { ...db.config, batch_size: 20 };
    const discovered = await new PostgreSQL({ config }).discover();
    const sizes: Record<string, number[]> = {};
    for (const method of ['FULL_TABLE', 'INCREMENTAL'] as const) {
      const messages = await collect(
        source.read(config, select(discovered, { wide_docs: { method, key: 'updated' } }), { bookmarks: {} }, ctx()),
      );
      sizes[method] = messages.flatMap((m) => (m.type === 'RECORD_BATCH' ? [m.records.length] : []));
      const records = recordsOf(messages, 'wide_docs');
      expect(records.map((r) => r['id'])).toEqual(Array.from({ length: 30 }, (_v, i) => i + 1));
      expect((records[29]!['body'] as string).length).toBe(1 << 20);
    }
    // A batch ends once it holds 8 MB of row text; INCREMENTAL pages stay 20 rows (LIMIT batch_size).
    expect(sizes).toEqual({ FULL_TABLE: [8, 8, 8, 6], INCREMENTAL: [8, 8, 4, 8, 2] });
  });
});
