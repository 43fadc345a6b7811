// One large table split into key ranges over worker processes (issue 16) against the real Redis and PostgreSQL:
// bounds from the database, each range a task with its own bookmark, a worker SIGKILLed mid-range (only that range
// resumes, from its own bookmark), the stream's state afterwards as a whole-table sync leaves it; and a SIGTERMed busy
// worker that hands its job back and exits within its grace period. Needs `npm run build`.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunInfo } from '@mage-int/core';
import { BullmqExecutor } from '@mage-int/executor-bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, connectorBuilt, runCli, workDir } from './cli-harness.js';
import { finished, removeQueue, workerPool } from './distributed-harness.js';

const suffix = randomBytes(4).toString('hex');
const database = `mage_ranges_${suffix}`;
const prefix = `mage-int-test-ranges-${suffix}`;
const stateUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const ROWS = 80_000;
/** The workers' --grace-seconds: a busy worker told to stop hands its job back within it. */
const GRACE_SECONDS = 4;

const work = workDir('key-ranges');
const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
const db = new pg.Client({ host: '127.0.0.1', user: 'postgres', database });
const executor = new BullmqExecutor({ prefix });
const redis = new Redis('redis://127.0.0.1:6379');
const queueArgs = ['--prefix', prefix];
const pool = workerPool([...queueArgs, '--concurrency', '1', '--lock-seconds', '2', '--grace-seconds', String(GRACE_SECONDS)], {
  cwd: work.dir,
});

/** A pipeline of the big table split into key ranges (4); small batches (frequent commits) where asked. */
function pipelineFile(id: string, schema: string, batch = 5000, ranges = 4): string {
  const file = join(work.dir, `${id}.yaml`);
  writeFileSync(
    file,
    `id: ${id}
source:
  name: postgres
  config: { host: 127.0.0.1, database: ${database}, username: postgres, schema: src, batch_size: ${batch} }
destination:
  name: postgres
  config: { host: 127.0.0.1, database: ${database}, username: postgres, schema: ${schema}, batch_size_rows: ${batch} }
select: [src-big]
streams: { src-big: { key_ranges: ${ranges} } }
state: { backend: postgres, url: "${stateUrl}" }
`,
  );
  return file;
}

/** Count and digest of the rows of a table; of a destination's, those not marked deleted (ACTIVATE_VERSION soft-deletes). */
async function checksum(table: string): Promise<string> {
  const live = table.startsWith('dst') ? ' where _sdc_deleted_at is null' : '';
  const result = await db.query<{ sum: string }>(
    `select count(*) || ':' || md5(coalesce(string_agg(id || ':' || name || ':' || amount, ',' order by id), '')) as sum from ${table}${live}`,
  );
  return result.rows[0]!.sum;
}

/** The pipeline's state rows: stream (or range) → bookmark. */
async function stateRows(pipelineId: string): Promise<Record<string, Record<string, unknown>>> {
  const { rows } = await db.query<{ stream: string; value: Record<string, unknown> }>(
    `select stream, value from mage_int_state where pipeline_id = $1 and stream <> ''`,
    [pipelineId],
  );
  return Object.fromEntries(rows.map((r) => [r.stream, r.value]));
}

/** Source rows inside a range's bounds (from its bookmark). */
async function rangeSize(bookmark: Record<string, unknown>): Promise<number> {
  const range = bookmark['key_range'] as { from?: { id: number }; to?: { id: number } };
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from src.big where id >= $1 and id < $2`, [
    range.from?.id ?? -1,
    range.to?.id ?? 2 ** 31 - 1,
  ]);
  return rows[0]!.n;
}

const rangeTasks = (run: RunInfo) => run.tasks.filter((t) => t.keyRange && !t.keyRange.finalize);

beforeAll(async () => {
  assertBuilt();
  connectorBuilt('source-postgres');
  connectorBuilt('destination-postgres');
  await admin.connect();
  await admin.query(`create database ${database}`);
  await db.connect();
  // Keys with gaps and a skew (the bounds must come from the data, not from min/max arithmetic).
  await db.query(`create schema src;
    create table src.big (id int primary key, name text not null, amount numeric(12, 2));
    insert into src.big select case when g <= ${ROWS / 2} then g else g * 10 end, 'row ' || g, g / 100.0 from generate_series(1, ${ROWS}) g;
    analyze src.big;`);
  pool.start();
  pool.start();
  await pool.ready(2);
});

afterAll(async () => {
  await removeQueue(pool, executor, redis, prefix);
  await db.end().catch(() => {});
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  work.remove();
});

describe('a FULL_TABLE stream split into key ranges over workers', () => {
  it('reads 4 ranges of about equal size on 2 workers, then finalizes: destination equals source, state as after a whole-table sync', async () => {
    const file = pipelineFile('split', 'dst_split');
    const submitted = await runCli(['submit', file, ...queueArgs, '--wait', '--json'], { cwd: work.dir, timeoutMs: 50_000 });
    expect(submitted.code, submitted.stderr).toBe(0);
    const run = JSON.parse(submitted.stdout) as RunInfo;
    expect(run).toMatchObject({ status: 'completed', pipelineId: 'split', rows: ROWS });
    const ranges = rangeTasks(run);
    expect(ranges.map((t) => t.keyRange!.index)).toEqual([1, 2, 3, 4]);
    expect(run.tasks.at(-1)!.keyRange).toMatchObject({ finalize: true, count: 4 });
    expect(new Set(ranges.map((t) => t.worker)).size).toBe(2);
    // Percentile bounds: every range holds about a quarter of the rows.
    for (const task of ranges) expect(task.rows).toBeGreaterThan(ROWS / 8);
    expect(await checksum('dst_split.big')).toBe(await checksum('src.big'));
    const shown = await runCli(['runs', run.id, ...queueArgs], { cwd: work.dir });
    expect(shown.stdout).toMatch(/src-big range 2\/4\s+completed/);
    expect(shown.stdout).toMatch(/src-big finalize\s+completed/);

    // The stream's bookmark is a finished whole-table sync's; the ranges' bookmarks are gone.
    const state = await stateRows('split');
    expect(Object.keys(state)).toEqual(['src-big']);
    const version = state['src-big']!['version'] as number;
    expect(state['src-big']!['last_pk_fetched']).toBeUndefined();
    const versions = await db.query(`select distinct _sdc_table_version::bigint as v from dst_split.big`);
    expect(versions.rows.map((r) => Number(r.v))).toEqual([version]);

    // A later run (here a local one) takes a newer version: deleted rows go, changed and new rows arrive.
    await db.query(`delete from src.big where id % 7 = 0; update src.big set name = name || '!' where id % 5 = 0;
      insert into src.big select g, 'new ' || g, 1 from generate_series(${ROWS * 20}, ${ROWS * 20 + 99}) g`);
    const again = await runCli(['run', file], { cwd: work.dir, timeoutMs: 50_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(await checksum('dst_split.big')).toBe(await checksum('src.big'));
    expect((await stateRows('split'))['src-big']!['version']).toBeGreaterThan(version);
  });

  it('resumes only the range of a worker SIGKILLed mid-range, from that range’s bookmark: nothing lost or doubled', async () => {
    const file = pipelineFile('killed', 'dst_killed', 500);
    const { id } = await executor.submit({ pipeline: file });
    // Mid-range: a running range task whose bookmark already names a committed key.
    const { task, bookmark, stateKey } = await pool.until('a range with committed rows', async () => {
      const run = await executor.run(id);
      const state = await stateRows('killed').catch(() => ({}) as Record<string, Record<string, unknown>>);
      for (const t of run ? rangeTasks(run) : []) {
        const key = `src-big#range-${t.keyRange!.index}-of-4`;
        if (t.status === 'running' && t.worker && state[key]?.['last_pk_fetched'] && !state[key]?.['done'])
          return { task: t, bookmark: state[key]!, stateKey: key };
      }
      return undefined;
    });
    const before = await stateRows('killed');
    pool.byName(task.worker!)!.kill('SIGKILL');
    pool.start();
    const run = await pool.until('the run to finish', async () => finished(await executor.run(id)), 50_000);
    expect(run.status, JSON.stringify(run)).toBe('completed');
    expect(await checksum('dst_killed.big')).toBe(await checksum('src.big'));

    for (const t of rangeTasks(run)) {
      const key = `src-big#range-${t.keyRange!.index}-of-4`;
      const size = await rangeSize(before[key]!);
      if (key === stateKey) {
        // Retried elsewhere, reading only what the killed attempt had not committed.
        expect(t.worker).not.toBe(task.worker);
        expect(t.rows).toBeGreaterThan(0);
        // At least one 500-row batch was committed before the kill (its bookmark named a key).
        expect(bookmark['last_pk_fetched']).toBeDefined();
        expect(t.rows).toBeLessThanOrEqual(size - 500);
      } else {
        // Every other range read once, whole, in one attempt (ranges done before the kill are not read again; two
        // tasks creating the new destination table at once both succeed: the SQL kit's DDL is race-safe).
        expect(t.rows, key).toBe(size);
        expect(t.attempts, JSON.stringify(t)).toBe(1);
      }
    }
    expect(Object.keys(await stateRows('killed'))).toEqual(['src-big']);
  });

  it('SIGTERM to a busy worker: it takes no more jobs, hands its job back (state only for committed rows) and exits within the grace; the run completes elsewhere', async () => {
    // Two large ranges in small batches: busy for longer than the grace lets a job go on.
    const file = pipelineFile('drained', 'dst_drained', 200, 2);
    // Both workers busy, then SIGTERM one of them mid-range.
    const { id } = await executor.submit({ pipeline: file });
    const task = await pool.until('a running range with committed rows', async () => {
      const run = await executor.run(id);
      const state = await stateRows('drained').catch(() => ({}) as Record<string, Record<string, unknown>>);
      return run
        ? rangeTasks(run).find(
            (t) => t.status === 'running' && t.worker && state[`src-big#range-${t.keyRange!.index}-of-2`]?.['last_pk_fetched'],
          )
        : undefined;
    });
    const victim = pool.byName(task.worker!)!;
    const sent = Date.now();
    const exited = new Promise<number>((resolve) => victim.once('exit', () => resolve(Date.now() - sent)));
    victim.kill('SIGTERM');
    const exitMs = await exited;
    console.log(`SIGTERMed worker exited after ${exitMs} ms`);
    expect(exitMs).toBeLessThan(GRACE_SECONDS * 1000);
    const log = pool.logs.get(victim)!;
    expect(log).toContain('SIGTERM: stopping worker');
    // Either finished inside the grace, or handed back (no attempt used).
    const handedBack = /handed back to the queue/.test(log);
    console.log(handedBack ? 'its job was handed back' : 'its job finished within the grace');
    expect(handedBack || /range \d\/2\]: done/.test(log.slice(log.indexOf('SIGTERM')))).toBe(true);
    // No job taken after the signal.
    expect(log.slice(log.indexOf('SIGTERM'))).not.toMatch(/started \(attempt/);
    // State only for committed rows: every source row up to the range's saved key is in the destination.
    const saved = (await stateRows('drained'))[`src-big#range-${task.keyRange!.index}-of-2`];
    const last = (saved?.['last_pk_fetched'] as { id: number } | undefined)?.id;
    if (last !== undefined) {
      const from = (saved!['key_range'] as { from?: { id: number } }).from?.id ?? -1;
      const count = async (table: string) =>
        (await db.query<{ n: number }>(`select count(*)::int as n from ${table} where id >= $1 and id <= $2`, [from, last])).rows[0]!.n;
      expect(await count('dst_drained.big')).toBe(await count('src.big'));
    }
    pool.start();
    const run = await pool.until('the run to finish', async () => finished(await executor.run(id)), 50_000);
    expect(run.status, JSON.stringify(run)).toBe('completed');
    if (handedBack) {
      const retried = run.tasks.find((t) => t.keyRange?.index === task.keyRange!.index)!;
      expect(retried.worker).not.toBe(task.worker);
      expect(retried.attempts).toBe(1);
    }
    expect(await checksum('dst_drained.big')).toBe(await checksum('src.big'));
    expect(Object.keys(await stateRows('drained'))).toEqual(['src-big']);
  });
});
