import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileStateStore,
  MemoryStateStore,
  pipeline,
  runPipeline,
  silentLogger,
  type Destination,
  type Source,
  type StreamOverride,
} from '../src/index.js';
import { createTestDatabase, workspaceDestination, workspaceSource, type TestDatabase } from './postgres-fixture.js';

// Pipelines PostgreSQL → PostgreSQL / DuckDB through the runner, with the real connectors.
let postgres: Source<never>;
let pgDestination: Destination<never>;
let duckdb: Destination<never>;
const databases: TestDatabase[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'mage-core-runner-pg-'));

beforeAll(async () => {
  [postgres, pgDestination, duckdb] = await Promise.all([
    workspaceSource('postgres'),
    workspaceDestination('postgres'),
    workspaceDestination('duckdb'),
  ]);
});
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  rmSync(tmp, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase('mage_core_runner');
  databases.push(db);
  return db;
}

async function duckRows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

type Target = { kind: 'postgres'; hardDelete: boolean } | { kind: 'duckdb'; hardDelete: boolean };

/** Loads `public-items` from `source` into the target twice (the second run after `change`), returns the target rows. */
async function syncTwice(
  source: TestDatabase,
  target: Target,
  streams: Record<string, StreamOverride>,
  change: () => Promise<unknown>,
): Promise<Record<string, unknown>[]> {
  const store = new MemoryStateStore();
  const duckPath = join(tmp, `${source.name}.duckdb`);
  const run = () =>
    runPipeline({
      pipelineId: `${source.name}-${target.kind}`,
      source: postgres,
      sourceConfig: source.config,
      destination: target.kind === 'postgres' ? pgDestination : duckdb,
      destinationConfig:
        target.kind === 'postgres'
          ? { ...source.config, schema: 'loaded', hard_delete: target.hardDelete }
          : { path: duckPath, hard_delete: target.hardDelete },
      streams,
      stateStore: store,
      logger: silentLogger,
    });
  await run();
  await change();
  await run();
  if (target.kind === 'postgres') return (await source.sql(`SELECT * FROM loaded.items ORDER BY id`)).rows as Record<string, unknown>[];
  return duckRows(duckPath, `SELECT * FROM items ORDER BY id`);
}

describe('LOG_BASED with `fields:` keeps the source metadata (_sdc_*)', () => {
  const streams = { 'public-items': { replication_method: 'LOG_BASED', fields: ['id', 'name'] } } satisfies Record<string, StreamOverride>;
  const targets: Target[] = [
    { kind: 'postgres', hardDelete: true },
    { kind: 'postgres', hardDelete: false },
    { kind: 'duckdb', hardDelete: true },
    { kind: 'duckdb', hardDelete: false },
  ];
  for (const target of targets) {
    it(`insert, update and delete reach ${target.kind} (${target.hardDelete ? 'hard' : 'soft'} delete)`, async () => {
      const db = await database();
      await db.sql(
        `CREATE TABLE items (id int PRIMARY KEY, name text, secret text); INSERT INTO items VALUES (1, 'one', 'x'), (2, 'two', 'y'), (3, 'three', 'z')`,
      );
      const rows = await syncTwice(db, target, streams, () =>
        db.sql(`INSERT INTO items VALUES (4, 'four', 'w'); UPDATE items SET name = 'TWO' WHERE id = 2; DELETE FROM items WHERE id = 3`),
      );
      // The deselected column never arrives; the CDC metadata always does.
      expect(rows.every((r) => !('secret' in r))).toBe(true);
      const live = rows.filter((r) => r['_sdc_deleted_at'] === null || r['_sdc_deleted_at'] === undefined);
      expect(live.map((r) => [Number(r['id']), r['name']])).toEqual([
        [1, 'one'],
        [2, 'TWO'],
        [4, 'four'],
      ]);
      if (target.hardDelete) expect(rows.map((r) => Number(r['id']))).toEqual([1, 2, 4]);
      else {
        const deleted = rows.find((r) => Number(r['id']) === 3);
        expect(deleted?.['_sdc_deleted_at']).toBeTruthy();
      }
    });
  }
});

describe('streams: key_properties for a table without a primary key', () => {
  for (const method of ['FULL_TABLE', 'INCREMENTAL'] as const) {
    it(`loaded twice (${method}) into PostgreSQL ends without duplicates`, async () => {
      const db = await database();
      await db.sql(`CREATE TABLE items (id int NOT NULL, name text, updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
      const streams: Record<string, StreamOverride> = {
        'public-items': {
          key_properties: ['id'],
          replication_method: method,
          ...(method === 'INCREMENTAL' ? { replication_key: 'updated_at' } : {}),
        },
      };
      const rows = await syncTwice(db, { kind: 'postgres', hardDelete: false }, streams, () =>
        db.sql(
          `UPDATE items SET name = 'TWO', updated_at = now() + interval '1 second' WHERE id = 2; INSERT INTO items (id, name, updated_at) VALUES (4, 'four', now() + interval '1 second')`,
        ),
      );
      expect(rows.map((r) => [r['id'], r['name']])).toEqual([
        [1, 'one'],
        [2, 'TWO'],
        [3, 'three'],
        [4, 'four'],
      ]);
    });
  }
});

describe("the README's programmatic example", () => {
  it('syncs exactly the stream it names (select:), incrementally', async () => {
    const db = await database();
    await db.sql(`CREATE TABLE orders (id int PRIMARY KEY, total numeric, updated_at timestamptz NOT NULL);
      CREATE TABLE customers (id int PRIMARY KEY, email text);
      INSERT INTO orders VALUES (1, 9.5, '2024-01-01'), (2, 12, '2024-01-02'); INSERT INTO customers VALUES (1, 'a@example.com')`);
    const path = join(tmp, `${db.name}-readme.duckdb`);
    // As in README.md, with this test's database and files.
    const summary = await pipeline({
      id: 'orders',
      source: { connector: postgres, config: { ...db.config } },
      destination: { connector: duckdb, config: { path } },
      select: ['public-orders'],
      streams: { 'public-orders': { replication_method: 'INCREMENTAL', replication_key: 'updated_at' } },
      stateStore: new FileStateStore(join(tmp, `${db.name}-state`)),
    }).run({ logger: silentLogger });
    expect(Object.keys(summary.state.bookmarks)).toEqual(['public-orders']);
    const tables = await duckRows(path, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1`);
    expect(tables.map((t) => t['table_name'])).toEqual(['orders']);
  });
});
