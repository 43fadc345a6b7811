import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExactJson } from '@mage-int/core';
import { runPipelineChild, type PipelineChildRun } from '@mage-int/testkit';
import pg from 'pg';
import { PostgreSQL } from '../src/index.js';
import { pipelineObjectName } from '../src/slot-names.js';
import { createTestDatabase, select, type TestDatabase } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'mage-src-pg-cdc-'));
let db: TestDatabase;

/** The child runs the built packages; build the ones missing (CI builds everything before the tests). */
function ensureBuilt(): void {
  for (const pkg of ['core', 'tools/testkit', 'connectors/source-postgres', 'connectors/destination-duckdb']) {
    if (existsSync(join(root, pkg, 'dist/index.js'))) continue;
    const result = spawnSync('npm', ['run', 'build'], { cwd: join(root, pkg), stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building ${pkg} failed`);
  }
}

function lsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/** Random inserts, updates and deletes until stopped. */
function startWriter(config: pg.ClientConfig): { stop: () => Promise<number> } {
  let running = true;
  let ops = 0;
  const done = (async () => {
    const client = new pg.Client(config);
    await client.connect();
    let nextId = 100_000;
    while (running) {
      const id = 1 + Math.floor(Math.random() * 20_000);
      const r = Math.random();
      if (r < 0.4) await client.query(`INSERT INTO stock VALUES ($1, 1, 'inserted')`, [nextId++]);
      else if (r < 0.8) await client.query(`UPDATE stock SET qty = qty + 1, note = 'updated ' || qty WHERE id = $1`, [id]);
      else await client.query(`DELETE FROM stock WHERE id = $1`, [id]);
      // some multi-row transactions too
      if (r > 0.97)
        await client.query(
          `BEGIN; UPDATE stock SET qty = qty * 2 WHERE id BETWEEN ${id} AND ${id + 50}; DELETE FROM stock WHERE id = ${id + 51}; COMMIT`,
        );
      ops++;
      await new Promise((res) => setTimeout(res, 2));
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return ops;
    },
  };
}

/** Watches that the slot's confirmed position never passes the lsn of the state the runner persisted. */
function startWatcher(
  stateFile: string,
  slot: string,
  config: pg.ClientConfig,
): { stop: () => Promise<{ checks: number; violations: string[] }> } {
  let running = true;
  let checks = 0;
  const violations: string[] = [];
  const done = (async () => {
    const client = new pg.Client(config);
    await client.connect();
    let initial: bigint | undefined;
    while (running) {
      const { rows } = await client.query(`SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
      const confirmed = rows[0]?.c ? lsn(rows[0].c as string) : undefined;
      let committed: bigint | undefined;
      try {
        const state = parseExactJson(readFileSync(stateFile, 'utf8')) as { bookmarks: Record<string, { lsn?: string }> };
        const lsns = Object.values(state.bookmarks)
          .map((b) => b.lsn)
          .filter((x): x is string => typeof x === 'string')
          .map(lsn);
        if (lsns.length > 0) committed = lsns.reduce((a, b) => (a < b ? a : b));
      } catch {
        // no state yet
      }
      if (confirmed !== undefined) {
        initial ??= confirmed;
        const limit = committed ?? initial;
        checks++;
        if (confirmed > limit) violations.push(`slot confirmed ${rows[0]!.c} > committed ${limit.toString(16)}`);
      }
      await new Promise((res) => setTimeout(res, 10));
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { checks, violations };
    },
  };
}

function runChild(args: string[], killAfterCommits?: number): Promise<PipelineChildRun> {
  return runPipelineChild(join(here, 'fixtures/cdc-pipeline.mjs'), args, { cwd: root, killAfterCommits });
}

beforeAll(async () => {
  ensureBuilt();
  db = await createTestDatabase({ batch_size: 500 });
  await db.sql(`
    CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL, note text);
    INSERT INTO stock SELECT g, g % 100, 'row ' || g FROM generate_series(1, 20000) g;
  `);
});
afterAll(async () => {
  await db?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('LOG_BASED end to end with a crash', () => {
  it('survives SIGKILL between read and commit: the destination equals the source and the slot never passes the committed state', async () => {
    const catalog = select(await new PostgreSQL({ config: db.config }).discover(), { stock: { method: 'LOG_BASED' } });
    const configPath = join(tmp, 'config.json');
    const catalogPath = join(tmp, 'catalog.json');
    writeFileSync(configPath, JSON.stringify(db.config));
    writeFileSync(catalogPath, JSON.stringify(catalog));
    const duckPath = join(tmp, 'dest.duckdb');
    const stateDir = join(tmp, 'state');
    const args = [configPath, catalogPath, duckPath, stateDir];
    const pgConfig = { host: '127.0.0.1', user: 'postgres', database: db.name };
    const watcher = startWatcher(join(stateDir, 'cdc.json'), pipelineObjectName('cdc', db.name), pgConfig);

    // Writes go on during the first run's snapshot; the run is killed after a few committed states.
    const writer = startWriter(pgConfig);
    const killed = await runChild(args, 3);
    expect(killed.signal, killed.output).toBe('SIGKILL');
    // A second run is killed later (end of the snapshot or while streaming), a third finishes while writes go on.
    const killedAgain = await runChild(args, 40);
    expect(killedAgain.code === 0 || killedAgain.signal === 'SIGKILL', killedAgain.output).toBe(true);
    const second = await runChild(args);
    expect(second.code, second.output).toBe(0);
    const ops = await writer.stop();
    expect(ops).toBeGreaterThan(50);
    const third = await runChild(args);
    expect(third.code, third.output).toBe(0);
    const { checks, violations } = await watcher.stop();
    expect(violations).toEqual([]);
    expect(checks).toBeGreaterThan(10);

    const { rows: sourceRows } = await db.sql(`SELECT id, qty, note FROM stock ORDER BY id`);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.fromCache(duckPath);
    const connection = await instance.connect();
    try {
      const destRows = (
        await connection.runAndReadAll(`SELECT id::INTEGER AS id, qty::INTEGER AS qty, note FROM stock ORDER BY id`)
      ).getRowObjectsJson();
      expect(destRows.length).toBe(sourceRows.length);
      expect(destRows).toEqual(sourceRows);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const { rows: slot } = await db.sql(`SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1`, [
      pipelineObjectName('cdc', db.name),
    ]);
    const state = JSON.parse(readFileSync(join(stateDir, 'cdc.json'), 'utf8')) as { bookmarks: Record<string, { lsn: string }> };
    expect(lsn(slot[0]!.c as string)).toBeLessThanOrEqual(lsn(state.bookmarks['public-stock']!.lsn));
  }, 120_000);
});
