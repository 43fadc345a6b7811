// Distributed runs (issue 16) against the real Redis (127.0.0.1:6379) and PostgreSQL, with real worker processes
// (`mage-int worker`): a run split into tasks over two workers, a worker SIGKILLed mid-task, schedules, two
// submissions of one CDC pipeline, and no secret in Redis. Needs `npm run build`.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BullmqExecutor } from '@mage-int/executor-bullmq';
import type { RunInfo } from '@mage-int/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, connectorBuilt, runCli, workDir } from './cli-harness.js';
import { finished, removeQueue, workerPool } from './distributed-harness.js';

const suffix = randomBytes(4).toString('hex');
const database = `mage_dist_${suffix}`;
// A prefix of this file's own: other test files may use the same Redis at the same time.
const prefix = `mage-int-test-${suffix}`;
const secret = `dist-secret-${randomBytes(8).toString('hex')}`;
const stateUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const BIG = 100_000;

const work = workDir('distributed');
const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
const db = new pg.Client({ host: '127.0.0.1', user: 'postgres', database });
const executor = new BullmqExecutor({ prefix });
const redis = new Redis('redis://127.0.0.1:6379');
const queueArgs = ['--prefix', prefix];
const env = { DIST_SECRET: secret };
// A short grace: the last test SIGTERMs the workers and waits 10 s for them, whatever job is still running.
const pool = workerPool([...queueArgs, '--concurrency', '2', '--lock-seconds', '2', '--grace-seconds', '5'], { cwd: work.dir, env });
const { workers, logs, until } = pool;
const startWorker = () => pool.start();

function pipelineFile(name: string, body: string): string {
  const file = join(work.dir, `${name}.yaml`);
  writeFileSync(file, `id: ${name}\n${body}\nstate: { backend: postgres, url: "${stateUrl}" }\n`);
  return file;
}

const source = `source:
  name: postgres
  config: { host: 127.0.0.1, database: ${database}, username: postgres, schema: src }`;
const destination = (schema: string, extra = '') => `destination:
  name: postgres
  config: { host: 127.0.0.1, database: ${database}, username: postgres, password: "\${DIST_SECRET}", schema: ${schema}${extra} }`;

async function checksum(schema: string, table: string): Promise<string> {
  const result = await db.query<{ sum: string }>(
    `select md5(coalesce(string_agg(id || ':' || name, ',' order by id), '')) as sum from ${schema}.${table}`,
  );
  return result.rows[0]!.sum;
}

beforeAll(async () => {
  assertBuilt();
  connectorBuilt('source-postgres');
  connectorBuilt('destination-postgres');
  await admin.connect();
  await admin.query(`create database ${database}`);
  await db.connect();
  await db.query(`create schema src;
    create table src.small_a (id int primary key, name text);
    create table src.small_b (id int primary key, name text);
    create table src.big (id int primary key, name text);
    insert into src.small_a select g, 'a' || g from generate_series(1, 2000) g;
    insert into src.small_b select g, 'b' || g from generate_series(1, 3000) g;
    insert into src.big select g, repeat('x', 20) || g from generate_series(1, ${BIG}) g;`);
  startWorker();
  startWorker();
  await pool.ready(2);
});

afterAll(async () => {
  await removeQueue(pool, executor, redis, prefix);
  await db.end().catch(() => {});
  await admin.query(`select pg_terminate_backend(active_pid) from pg_replication_slots where database = $1 and active_pid is not null`, [
    database,
  ]);
  await sleep(200);
  await admin.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1`, [database]).catch(() => {});
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  work.remove();
});

describe('distributed runs (mage-int worker, submit, runs, schedule)', () => {
  it('splits a 3-stream run into tasks over two workers; the destination equals the source', async () => {
    const file = pipelineFile('three', `${source}\n${destination('dst')}`);
    const submitted = await runCli(['submit', file, ...queueArgs, '--wait', '--json'], { cwd: work.dir, timeoutMs: 40_000 });
    expect(submitted.code, submitted.stderr).toBe(0);
    const run = JSON.parse(submitted.stdout) as RunInfo;
    expect(run).toMatchObject({ status: 'completed', pipelineId: 'three', rows: BIG + 5000 });
    expect(run.tasks.map((t) => t.streams[0]).sort()).toEqual(['src-big', 'src-small_a', 'src-small_b']);
    expect(new Set(run.tasks.map((t) => t.worker)).size).toBe(2);
    for (const table of ['small_a', 'small_b', 'big']) expect(await checksum('dst', table)).toBe(await checksum('src', table));

    const listed = await runCli(['runs', ...queueArgs], { cwd: work.dir });
    expect(listed.stdout).toMatch(new RegExp(`^${run.id}\\s+three\\s+completed\\s+${(BIG + 5000).toLocaleString('en-US')}\\s`, 'm'));
  });

  it('retries the task of a worker SIGKILLed mid-stream on another worker, resuming from its committed state: nothing lost', async () => {
    const file = pipelineFile('killed', `${source}\nselect: [src-big]\n${destination('dst_killed', ', batch_size_rows: 500')}`);
    const { id } = await executor.submit({ pipeline: file });
    // Mid-stream: once rows of the big table are committed (its bookmark names the last key).
    const committed = `select 1 from mage_int_state where pipeline_id = 'killed' and stream = 'src-big' and value ? 'last_pk_fetched'`;
    await until('a committed bookmark', async () => (await db.query(committed).catch(() => ({ rowCount: 0 }))).rowCount);
    const running = await executor.run(id);
    expect(running!.tasks[0]!.status).toBe('running');
    const victim = running!.tasks[0]!.worker!;
    const child = pool.byName(victim)!;
    expect(child, `worker ${victim} is one of ours`).toBeDefined();
    child.kill('SIGKILL');
    startWorker(); // two stay alive
    const run = await until('the run to finish elsewhere', async () => finished(await executor.run(id)), 45_000);
    expect(run.status, JSON.stringify(run)).toBe('completed');
    expect(run.tasks[0]!.worker).not.toBe(victim);
    // The retry read only what the killed attempt had not committed.
    expect(run.tasks[0]!.rows).toBeGreaterThan(0);
    expect(run.tasks[0]!.rows).toBeLessThan(BIG);
    expect(await checksum('dst_killed', 'big')).toBe(await checksum('src', 'big'));
  });

  it('fires a schedule (a repeatable job): listed, its run completes, removed', async () => {
    const file = pipelineFile('scheduled', `${source}\nselect: [src-small_a]\n${destination('dst_sched')}`);
    const scheduled = await runCli(['schedule', file, '--cron', '*/2 * * * * *', '--id', `sched-${suffix}`, ...queueArgs], {
      cwd: work.dir,
    });
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.stdout).toContain(`schedule sched-${suffix}: ${file} at "*/2 * * * * *", next `);
    const list = await runCli(['schedule', 'list', ...queueArgs], { cwd: work.dir });
    expect(list.stdout).toMatch(new RegExp(`^sched-${suffix}\\s+\\*/2 \\* \\* \\* \\* \\*\\s`, 'm'));
    const run = await until('a scheduled run to complete', async () =>
      (await executor.runs({ limit: 50 })).find((r) => r.pipelineId === 'scheduled' && r.status === 'completed'),
    );
    expect(run.schedule).toBeDefined();
    expect(await checksum('dst_sched', 'small_a')).toBe(await checksum('src', 'small_a'));
    const removed = await runCli(['schedule', 'remove', `sched-${suffix}`, ...queueArgs], { cwd: work.dir });
    expect(removed.stdout).toContain(`schedule sched-${suffix} removed`);
    expect((await runCli(['schedule', 'list', ...queueArgs], { cwd: work.dir })).stdout).toContain('no schedules');
  });

  it('gives one CDC pipeline one reader however often it is submitted, and cancels runs', async () => {
    await db.query(`create table src.events (id int primary key, name text); insert into src.events values (1, 'one');
      create table src.events_2 (id int primary key, name text); insert into src.events_2 values (1, 'one')`);
    const file = pipelineFile(
      'cdc',
      `${source}\nselect: [src-events, src-events_2, src-small_a]\nstreams: { src-events: { replication_method: LOG_BASED }, src-events_2: { replication_method: LOG_BASED } }\nfollow: true\n${destination('dst_cdc')}`,
    );
    const first = await executor.submit({ pipeline: file });
    await until(
      'the first reader to stream',
      async () => (await db.query(`select 1 from dst_cdc.events_2`).catch(() => ({ rowCount: 0 }))).rowCount,
    );
    // Both LOG_BASED streams in one task (one reader of the slot), the FULL_TABLE stream in another.
    expect((await executor.run(first.id))!.tasks.map((t) => t.streams)).toEqual([['src-events', 'src-events_2'], ['src-small_a']]);
    const second = await executor.submit({ pipeline: file });
    const refused = await until('the second reader to be refused', async () => (await executor.run(second.id))?.tasks[0]?.error);
    expect(refused).toMatch(/being read by worker \d+ on |already running: process \d+ on /);
    const readers = await admin.query(
      `select count(*)::int as n from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where s.database = $1`,
      [database],
    );
    expect(readers.rows[0].n).toBe(1);

    for (const { id } of [first, second]) {
      const cancelled = await runCli(['runs', 'cancel', id, ...queueArgs], { cwd: work.dir });
      expect(cancelled.stdout).toContain(`run ${id} cancelled`);
    }
    for (const { id } of [first, second])
      expect((await until(`run ${id} to stop`, async () => finished(await executor.run(id)))).status).toBe('cancelled');
    const missing = await runCli(['runs', 'cancel', 'no-such-run', ...queueArgs], { cwd: work.dir });
    expect(missing.code).toBe(2);
  });

  it('never stores a secret in Redis: jobs carry the file reference; workers resolve ${VAR} themselves', async () => {
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    const dump: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'string') dump.push((await redis.get(key)) ?? '');
      else if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') dump.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') dump.push(...(await redis.zrange(key, 0, -1)));
      else if (type === 'set') dump.push(...(await redis.smembers(key)));
      else if (type === 'stream') dump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    const all = dump.join('\n');
    expect(all).toContain('three.yaml');
    expect(all).not.toContain(secret);
  });

  it('stops a worker on SIGTERM', async () => {
    const alive = workers.filter((w) => w.exitCode === null && w.signalCode === null);
    expect(alive.length).toBeGreaterThan(0);
    const exits = alive.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    for (const worker of alive) worker.kill('SIGTERM');
    await until('the workers to exit', async () => alive.every((w) => w.exitCode !== null) || undefined, 10_000);
    await Promise.all(exits);
    for (const worker of alive) expect(logs.get(worker)).toContain('SIGTERM: stopping worker');
  });
});
