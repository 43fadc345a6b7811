import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, MemoryStateStore, runPipeline, type Catalog, type State } from '@mage-int/core';
import duckdb from '@mage-int/destination-duckdb';
import source from '../src/index.js';
import { PostgreSQL } from '../src/index.js';
import { databaseObjectName, pipelineObjectName } from '../src/slot-names.js';
import { createTestDatabase, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const tmp = mkdtempSync(join(tmpdir(), 'mage-src-pg-slots-'));

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 50) g;`);
  catalog = select(await new PostgreSQL({ config: db.config }).discover(), { items: { method: 'LOG_BASED' } });
});
afterAll(async () => {
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
});

async function slot(name: string): Promise<{ confirmed_flush_lsn: string } | undefined> {
  const { rows } = await db.sql(`SELECT confirmed_flush_lsn::text AS confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1`, [
    name,
  ]);
  return rows[0] as { confirmed_flush_lsn: string } | undefined;
}

function run(pipelineId: string, store: MemoryStateStore, warnings: string[] = []) {
  return runPipeline({
    pipelineId,
    source,
    sourceConfig: db.config,
    destination: duckdb,
    destinationConfig: { path: join(tmp, `${pipelineId}.duckdb`) },
    catalog,
    stateStore: store,
    logger: createLogger({ level: 'warn', write: (line) => warnings.push(line) }),
  });
}

describe('replication slot and publication per pipeline', () => {
  it('names them after the pipeline: [a-z0-9_], at most 63 bytes, stable, distinct for ids that read alike', () => {
    const name = pipelineObjectName('Orders-EU', 'shop');
    expect(name).toMatch(/^mage_int_orders_eu_[0-9a-f]{8}$/);
    expect(pipelineObjectName('Orders-EU', 'shop')).toBe(name);
    expect(pipelineObjectName('orders_eu', 'shop')).not.toBe(name);
    expect(pipelineObjectName('Orders-EU', 'crm')).not.toBe(name);
    const long = pipelineObjectName('x'.repeat(200), 'shop');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9_]+$/);
    expect(pipelineObjectName('x'.repeat(200), 'shop')).not.toBe(pipelineObjectName(`${'x'.repeat(199)}y`, 'shop'));
    expect(databaseObjectName('Shop-1')).toBe('mage_int_shop_1');
  });

  it("a second pipeline on the same database gets its own slot and never moves the first one's", async () => {
    const first = new MemoryStateStore();
    await run('first', first);
    const firstSlot = pipelineObjectName('first', db.name);
    // The last acknowledgement travels asynchronously: wait until the slot is at the committed state's position.
    const committed = (await first.load('first'))!.bookmarks['public-items']!.lsn;
    await expect.poll(async () => (await slot(firstSlot))?.confirmed_flush_lsn, { timeout: 5000 }).toBe(committed);
    const before = await slot(firstSlot);
    const { rows: pubs } = await db.sql(`SELECT pubname FROM pg_publication`);
    expect(pubs.map((p) => p.pubname)).toContain(firstSlot);

    await db.sql(`UPDATE items SET v = 'changed' WHERE id <= 10; DELETE FROM items WHERE id = 50`);
    const second = new MemoryStateStore();
    await run('second', second);
    await run('second', second);
    const secondSlot = pipelineObjectName('second', db.name);
    expect(await slot(secondSlot)).toBeDefined();
    expect(await slot(firstSlot)).toEqual(before);
    expect(await slot(databaseObjectName(db.name))).toBeUndefined();

    // The first pipeline still has the changes made since its run.
    const summary = await run('first', first);
    expect(summary.streams['items']?.records).toBe(11);
  });

  it('keeps using the per-database slot of earlier versions when the saved positions are in it, with a warning', async () => {
    // A state written by an earlier version: positions in mage_int_<database>, which a standalone read (no pipeline id) uses.
    const messages: State[] = [];
    const ctx = { logger: createLogger({ level: 'error' }), signal: new AbortController().signal };
    for await (const m of source.read(db.config, catalog, { bookmarks: {} }, ctx)) if (m.type === 'STATE') messages.push(m.value as State);
    const legacyState = messages[messages.length - 1]!;
    const legacy = databaseObjectName(db.name);
    expect(await slot(legacy)).toBeDefined();
    await db.sql(`INSERT INTO items VALUES (1000, 'after upgrade')`);
    const store = new MemoryStateStore();
    await store.save('upgraded', legacyState);
    const warnings: string[] = [];
    const summary = await run('upgraded', store, warnings);
    expect(summary.streams['items']?.records).toBe(1);
    expect(warnings.join('\n')).toMatch(new RegExp(`keeps using replication slot ${legacy}.*--full-refresh`));
    expect(await slot(pipelineObjectName('upgraded', db.name))).toBeUndefined();
    const ctxOf = (pipelineId: string) => ({ logger: createLogger({ level: 'error' }), signal: new AbortController().signal, pipelineId });
    expect(await source.operations!.listSlots!(db.config, (await store.load('upgraded'))!, ctxOf('upgraded'))).toEqual([
      expect.objectContaining({
        name: legacy,
        active: false,
        note: expect.stringContaining('other pipelines on this database may use it'),
      }),
    ]);

    // After a full refresh the pipeline has its own slot; the old one is listed as left over, and not dropped with it.
    await store.clear('upgraded');
    await run('upgraded', store);
    const own = pipelineObjectName('upgraded', db.name);
    const listed = await source.operations!.listSlots!(db.config, (await store.load('upgraded'))!, ctxOf('upgraded'));
    expect(listed).toEqual([
      expect.objectContaining({ name: own, retainedBytes: expect.any(Number) }),
      expect.objectContaining({ name: legacy, leftover: true, note: expect.stringContaining(`pg_drop_replication_slot('${legacy}')`) }),
    ]);
    expect(listed[0]).not.toHaveProperty('leftover');
    expect(await source.operations!.dropSlots!(db.config, (await store.load('upgraded'))!, ctxOf('upgraded'))).toEqual([
      `replication slot ${own}`,
      `publication ${own}`,
    ]);
    expect(await slot(own)).toBeUndefined();
    expect(await slot(legacy)).toBeDefined();
  });
});
