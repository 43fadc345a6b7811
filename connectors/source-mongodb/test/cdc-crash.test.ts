// LOG_BASED end to end in child processes that are SIGKILLed between a read and its commit, with writes going on
// through the driver: the saved state (resume token or snapshot position) is never ahead of the destination, and the
// DuckDB copy ends equal to the collection.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipelineChild, type PipelineChildRun } from '@mage-int/testkit';
import { Int32 } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnyDoc, discover, ensureBuilt, select, startTestServer, type TestServer } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'mage-src-mongo-cdc-'));
let test: TestServer;

function runChild(args: string[], killAfterCommits?: number): Promise<PipelineChildRun> {
  return runPipelineChild(join(here, 'fixtures/cdc-pipeline.mjs'), args, {
    cwd: root,
    ...(killAfterCommits !== undefined ? { killAfterCommits } : {}),
  });
}

/** Updates, inserts and deletes in a loop until stopped; returns how many writes ran. */
function startWriter(): { stop(): Promise<number> } {
  const stock = test.client.db('crash').collection<AnyDoc>('stock');
  let running = true;
  let ops = 0;
  const done = (async () => {
    let next = 100_000;
    while (running) {
      const id = Math.floor(Math.random() * 5000);
      const r = ops % 4;
      if (r === 0) await stock.updateOne({ _id: new Int32(id) }, { $set: { note: `u${ops}` }, $inc: { qty: 1 } } as never);
      else if (r === 1) await stock.insertOne({ _id: new Int32(next++), qty: new Int32(ops), note: 'new' });
      else if (r === 2) await stock.deleteOne({ _id: new Int32(id) });
      else await stock.updateMany({ _id: { $gte: new Int32(id), $lt: new Int32(id + 20) } }, { $inc: { qty: -1 } } as never);
      ops++;
      await new Promise((res) => setTimeout(res, 3));
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
  ensureBuilt(['core', 'tools/testkit', 'connectors/source-mongodb', 'connectors/destination-duckdb']);
  test = await startTestServer();
  await test.client
    .db('crash')
    .collection<AnyDoc>('stock')
    .insertMany(Array.from({ length: 5000 }, (_, i) => ({ _id: new Int32(i), qty: new Int32(i % 100), note: `row ${i}` })));
}, 180_000);
afterAll(async () => {
  await test?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('LOG_BASED end to end with a crash', () => {
  it('survives SIGKILL between read and commit: the state is never ahead of the destination, which ends equal to the collection', async () => {
    const config = test.config('crash', { batch_size: 250 });
    const catalog = select(await discover(config), { stock: { method: 'LOG_BASED' } });
    const configPath = join(tmp, 'config.json');
    const catalogPath = join(tmp, 'catalog.json');
    writeFileSync(configPath, JSON.stringify(config));
    writeFileSync(catalogPath, JSON.stringify(catalog));
    const duckPath = join(tmp, 'dest.duckdb');
    const args = [configPath, catalogPath, duckPath, join(tmp, 'state')];

    // Writes go on during the first run's snapshot; the run is killed after a few committed states.
    const writer = startWriter();
    const killed = await runChild(args, 3);
    expect(killed.signal, killed.output).toBe('SIGKILL');
    // A second run is killed later (in the snapshot or in the change stream), a third finishes while writes go on.
    const killedAgain = await runChild(args, 12);
    expect(killedAgain.code === 0 || killedAgain.signal === 'SIGKILL', killedAgain.output).toBe(true);
    const second = await runChild(args);
    expect(second.code, second.output).toBe(0);
    const ops = await writer.stop();
    expect(ops).toBeGreaterThan(50);
    const third = await runChild(args);
    expect(third.code, third.output).toBe(0);

    const source = (await test.client.db('crash').collection<AnyDoc>('stock').find().sort({ _id: 1 }).toArray()).map((d) => ({
      id: Number(d._id),
      qty: Number(d['qty']),
      note: String(d['note']),
    }));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.fromCache(duckPath);
    const connection = await instance.connect();
    try {
      const dest = (
        await connection.runAndReadAll(`SELECT _id::INTEGER AS id, qty::INTEGER AS qty, note FROM stock ORDER BY _id`)
      ).getRowObjectsJson();
      expect(dest.length).toBe(source.length);
      expect(dest).toEqual(source);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 240_000);
});
