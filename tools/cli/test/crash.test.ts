import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, collect, runCli, startCli, workDir } from './cli-harness.js';
import { query, tableCounts } from './duckdb-query.js';

const SIZES = { customers: 20_000, products: 2_000, orders: 150_000 } as const;
type Stream = keyof typeof SIZES;
const STREAMS = Object.keys(SIZES) as Stream[];

interface SavedState {
  bookmarks: Record<string, { version?: number; last_pk_fetched?: { id?: number } }>;
  currently_syncing?: string | null;
}

function readState(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * What a saved state claims is in the destination, per stream: every id up to `upTo` (a FULL_TABLE stream
 * interrupted after `last_pk_fetched`, or finished: all of it). Nothing for a stream that has only started.
 */
function claims(state: SavedState): Partial<Record<Stream, number>> {
  const out: Partial<Record<Stream, number>> = {};
  for (const stream of STREAMS) {
    const bookmark = state.bookmarks[stream];
    if (!bookmark) continue;
    const lastPk = bookmark.last_pk_fetched?.id;
    if (typeof lastPk === 'number') out[stream] = lastPk;
    else if (bookmark.version !== undefined && state.currently_syncing !== stream) out[stream] = SIZES[stream];
  }
  return out;
}

/**
 * THE CRASH TEST. A faker → duckdb sync with small batches is SIGKILLed several times mid-sync (right after it
 * saved a state: the moment a destination that reported state before committing would be caught). After each
 * kill, every state the run saved (polled while it ran) must point only at rows DuckDB holds, without
 * duplicates; the final run must leave every key exactly once.
 *
 * Source batches (250 rows) are much smaller than destination flushes (5000 rows), so a state released before
 * its commit would run up to 19 batches ahead of the data: checked by hand with a destination wrapper that
 * yields states as soon as it reads them, which this test catches on every run.
 */
describe('crash safety: SIGKILL mid-sync, then resume', () => {
  const work = workDir('crash');
  const pipeline = join(work.dir, 'crash.yaml');
  const db = join(work.dir, 'crash.duckdb');
  const stateFile = join(work.dir, '.mage-int', 'state', 'crash.json');

  beforeAll(() => {
    assertBuilt();
    writeFileSync(
      pipeline,
      [
        'source:',
        '  name: faker',
        `  config: { seed: 7, customers: ${SIZES.customers}, products: ${SIZES.products}, orders: ${SIZES.orders}, batch_size: 250 }`,
        'destination:',
        '  name: duckdb',
        '  config: { path: crash.duckdb, batch_size_rows: 5000 }',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => work.remove());

  /** Checks one saved state against what DuckDB holds now. */
  async function assertCommitted(state: SavedState, label: string): Promise<number> {
    const claimed = claims(state);
    const counts = await tableCounts(db, STREAMS);
    let checked = 0;
    for (const stream of STREAMS) {
      expect(counts[stream]?.rows, `${label}: ${stream} has duplicate keys`).toBe(counts[stream]?.distinct);
      const upTo = claimed[stream];
      if (upTo === undefined) continue;
      const [row] = await query(db, `SELECT count(DISTINCT id) AS n FROM "${stream}" WHERE id BETWEEN 1 AND ${upTo}`);
      expect(Number(row?.['n']), `${label}: state says ${stream} holds ids 1..${upTo}`).toBe(upTo);
      checked++;
    }
    return checked;
  }

  it('never saves a state ahead of committed data, and ends with every key exactly once', async () => {
    // Kill right after the 1st, 2nd, 4th… state change of each run: early in customers, mid-stream, in orders.
    const killAfterChanges = [1, 2, 4, 7, 11, 16];
    let kills = 0;
    let statesChecked = 0;
    for (const [round, changesBeforeKill] of killAfterChanges.entries()) {
      const child = startCli(['run', pipeline, '--progress', 'none', '--log-level', 'warn']);
      const done = collect(child, 120_000);
      let exited = false;
      void done.then(() => (exited = true));
      const snapshots: string[] = [];
      let last = readState(stateFile);
      while (!exited && snapshots.length < changesBeforeKill) {
        await sleep(1);
        const now = readState(stateFile);
        if (now !== undefined && now !== last) {
          snapshots.push(now);
          last = now;
        }
      }
      if (!exited) child.kill('SIGKILL');
      const result = await done;
      if (result.signal === 'SIGKILL') kills++;
      else expect(result.code, `round ${round} ended on its own: ${result.stderr}`).toBe(0);

      const final = readState(stateFile);
      expect(final, 'a state file exists after the kill').toBeDefined();
      for (const [i, text] of [...snapshots, final as string].entries()) {
        statesChecked += await assertCommitted(JSON.parse(text) as SavedState, `round ${round}, state #${i + 1}`);
      }
    }
    expect(kills, 'the sync was killed mid-way at least four times').toBeGreaterThanOrEqual(4);
    expect(statesChecked).toBeGreaterThan(0);

    const finish = await runCli(['run', pipeline, '--json', '--progress', 'none'], { timeoutMs: 180_000 });
    expect(finish.code, finish.stderr).toBe(0);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SavedState;
    expect(state.currently_syncing ?? null).toBeNull();
    const counts = await tableCounts(db, STREAMS);
    for (const stream of STREAMS) expect(counts[stream], stream).toEqual({ rows: SIZES[stream], distinct: SIZES[stream] });
    // Re-synced full tables activate a new version at their end: no row may be left marked as deleted.
    for (const stream of STREAMS) {
      const columns = await query(
        db,
        `SELECT column_name FROM information_schema.columns WHERE table_name = '${stream}' AND column_name = '_sdc_deleted_at'`,
      );
      if (columns.length === 0) continue;
      const [row] = await query(db, `SELECT count(*) AS n FROM "${stream}" WHERE _sdc_deleted_at IS NOT NULL`);
      expect(Number(row?.['n']), `${stream} rows marked deleted`).toBe(0);
    }
    await assertCommitted(state, 'after the final run');
  }, 300_000);
});
