import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMetadata, silentLogger, type DiscoverProgress } from '@mage-int/core';
import source from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let db: TestDatabase;
const TABLES = 250; // more than one batch of DISCOVER_BATCH (200)

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(
    Array.from({ length: TABLES }, (_, i) => `CREATE TABLE t${String(i).padStart(3, '0')} (id int PRIMARY KEY, v text);`).join(' '),
  );
  await db.sql('CREATE VIEW v_all AS SELECT id FROM t000');
}, 120_000);
afterAll(async () => db?.drop());

describe('discovery progress', () => {
  it('reports tables introspected of the total, in increasing counts ending at the total', async () => {
    const reports: DiscoverProgress[] = [];
    const catalog = await source.discover(db.config as never, {
      logger: silentLogger,
      signal: new AbortController().signal,
      onProgress: (p) => reports.push({ ...p }),
    });
    expect(catalog.streams).toHaveLength(TABLES + 1);
    expect(reports.map((p) => p.done)).toEqual([0, 200, TABLES + 1]);
    expect(new Set(reports.map((p) => `${p.unit} of ${p.total}`))).toEqual(new Set([`tables of ${TABLES + 1}`]));
    expect(reports.at(-1)?.current).toBe(`${db.name}.v_all`);
    // Batched, each table is described as before: its key, and the view as a view.
    expect(getMetadata(catalog.streams.find((s) => s.stream === 't123')!)['table-key-properties']).toEqual(['id']);
    expect(getMetadata(catalog.streams.find((s) => s.stream === 'v_all')!)['is-view']).toBe(true);
    expect(catalog.streams.map((s) => s.stream)).toEqual([...catalog.streams.map((s) => s.stream)].sort());
  });
});
