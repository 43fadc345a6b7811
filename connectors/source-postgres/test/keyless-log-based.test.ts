import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, runPipeline, silentLogger, type Catalog, type SourceMessage } from '@mage-int/core';
import duckdb, { DuckDB } from '@mage-int/destination-duckdb';
import source from '../src/index.js';
import { PostgreSQL } from '../src/index.js';
import { createTestDatabase, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let discovered: Catalog;
const tmp = mkdtempSync(join(tmpdir(), 'mage-src-pg-keyless-'));

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`
    CREATE TABLE events (code text NOT NULL, qty int, note text);
    INSERT INTO events SELECT 'c' || g, g, 'n' || g FROM generate_series(1, 20) g;
    CREATE TABLE other (id int PRIMARY KEY);
    INSERT INTO other VALUES (1);
  `);
  discovered = await new PostgreSQL({ config: db.config }).discover();
});
afterAll(async () => {
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('LOG_BASED streams without a key', () => {
  it('are refused before anything is read, with a hint naming key_properties and no REPLICA IDENTITY advice', async () => {
    const catalog = select(discovered, { other: { method: 'FULL_TABLE' }, events: { method: 'LOG_BASED' } });
    const seen: SourceMessage[] = [];
    const error = await (async () => {
      for await (const m of source.read(
        db.config,
        catalog,
        { bookmarks: {} },
        { logger: silentLogger, signal: new AbortController().signal },
      ))
        seen.push(m);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'LOG_BASED_WITHOUT_KEY',
      stream: 'public-events',
      message: expect.stringMatching(/appended.*second row/),
    });
    expect((error as { hint: string }).hint).toMatch(/key_properties/);
    expect((error as { hint: string }).hint).not.toMatch(/REPLICA IDENTITY/);
    expect(seen).toEqual([]);
    const { rows } = await db.sql(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE database = $1`, [db.name]);
    expect(rows[0]!.n).toBe(0);
  });

  it('with key_properties, asks for REPLICA IDENTITY FULL, then merges updates and deletes by that key', async () => {
    // The pipeline file's `streams: {public-events: {key_properties: [code]}}`, which the runner puts into the catalog.
    const catalog = select(discovered, { events: { method: 'LOG_BASED' } });
    const streams = { 'public-events': { key_properties: ['code'] } };
    const store = new MemoryStateStore();
    const path = join(tmp, 'events.duckdb');
    const run = () =>
      runPipeline({
        pipelineId: 'keyless',
        source,
        sourceConfig: db.config,
        destination: duckdb,
        destinationConfig: { path, hard_delete: true },
        catalog,
        streams,
        stateStore: store,
        logger: silentLogger,
      });
    await expect(run()).rejects.toMatchObject({
      code: 'REPLICA_IDENTITY_MISSING',
      hint: expect.stringMatching(/REPLICA IDENTITY FULL.*key_properties/),
    });

    await db.sql(`ALTER TABLE events REPLICA IDENTITY FULL`);
    await run();
    await db.sql(
      `UPDATE events SET qty = qty * 100, note = 'updated' WHERE qty <= 5; DELETE FROM events WHERE code IN ('c19', 'c20'); INSERT INTO events VALUES ('c99', 99, 'new')`,
    );
    await run();
    const { rows: expected } = await db.sql(`SELECT code, qty, note FROM events ORDER BY code`);
    const dest = new DuckDB({ config: { path } });
    try {
      const rows = await dest.query(`SELECT code, qty::INTEGER AS qty, note FROM events ORDER BY code`);
      expect(rows).toEqual(expected);
      expect(rows).toHaveLength(19);
    } finally {
      await dest.close();
    }
  });
});
