import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipelineChild, type PipelineChildRun } from '@mage-int/testkit';
import { MySQL } from '../src/index.js';
import { createTestDatabase, ensureBuilt, select, type TestDatabase } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'mage-src-my-cdc-'));
let db: TestDatabase;

function runChild(args: string[], killAfterCommits?: number): Promise<PipelineChildRun> {
  return runPipelineChild(join(here, 'fixtures/cdc-pipeline.mjs'), args, { cwd: root, killAfterCommits });
}

/** Updates, inserts and deletes in a loop until stopped; returns how many statements ran. */
function startWriter(): { stop(): Promise<number> } {
  let running = true;
  let ops = 0;
  const done = (async () => {
    const c = await db.connection();
    try {
      let next = 100_000;
      while (running) {
        const id = 1 + Math.floor(Math.random() * 20_000);
        const r = ops % 4;
        if (r === 0) await c.query(`UPDATE stock SET qty = qty + 1, note = CONCAT('u', ${ops}) WHERE id = ${id}`);
        else if (r === 1) await c.query(`INSERT INTO stock VALUES (${next++}, ${ops}, 'new')`);
        else if (r === 2) await c.query(`DELETE FROM stock WHERE id = ${id}`);
        else await c.query(`UPDATE stock SET qty = qty - 1 WHERE id BETWEEN ${id} AND ${id + 20}`);
        ops++;
        await new Promise((res) => setTimeout(res, 5));
      }
    } finally {
      await c.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return ops;
    },
  };
}

beforeAll(async () => {
  ensureBuilt(['core', 'tools/testkit', 'connectors/source-mysql', 'connectors/destination-duckdb']);
  db = await createTestDatabase({ batch_size: 500 });
  await db.sql(`SET SESSION max_recursive_iterations = 100000`);
  await db.sql(`CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL, note varchar(40))`);
  await db.sql(
    `INSERT INTO stock WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000) SELECT n, n % 100, CONCAT('row ', n) FROM s`,
  );
}, 120_000);
afterAll(async () => {
  await db?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('LOG_BASED end to end with a crash', () => {
  it('survives SIGKILL between read and commit: the state is never ahead of the destination, which ends equal to the source', async () => {
    const catalog = select(await new MySQL({ config: db.config }).discover(), { stock: { method: 'LOG_BASED' } });
    const configPath = join(tmp, 'config.json');
    const catalogPath = join(tmp, 'catalog.json');
    writeFileSync(configPath, JSON.stringify(db.config));
    writeFileSync(catalogPath, JSON.stringify(catalog));
    const duckPath = join(tmp, 'dest.duckdb');
    const args = [configPath, catalogPath, duckPath, join(tmp, 'state')];

    // Writes go on during the first run's snapshot; the run is killed after a few committed states.
    const writer = startWriter();
    const killed = await runChild(args, 3);
    expect(killed.signal, killed.output).toBe('SIGKILL');
    // A second run is killed later (in the snapshot or while reading the binlog), a third finishes while writes go on.
    const killedAgain = await runChild(args, 25);
    expect(killedAgain.code === 0 || killedAgain.signal === 'SIGKILL', killedAgain.output).toBe(true);
    const second = await runChild(args);
    expect(second.code, second.output).toBe(0);
    const ops = await writer.stop();
    expect(ops).toBeGreaterThan(50);
    const third = await runChild(args);
    expect(third.code, third.output).toBe(0);

    const sourceRows = (await db.sql(`SELECT id, qty, note FROM stock ORDER BY id`)) as { id: number; qty: number; note: string }[];
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.fromCache(duckPath);
    const connection = await instance.connect();
    try {
      const destRows = (
        await connection.runAndReadAll(`SELECT id::INTEGER AS id, qty::INTEGER AS qty, note FROM stock ORDER BY id`)
      ).getRowObjectsJson();
      expect(destRows.length).toBe(sourceRows.length);
      expect(destRows).toEqual(sourceRows.map((r) => ({ id: r.id, qty: r.qty, note: r.note })));
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 180_000);
});
