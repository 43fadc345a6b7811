// A MariaDB table split into key ranges over worker processes (issue 16's key_ranges, source-mysql's bounds) into
// PostgreSQL, against the real Redis, MariaDB and PostgreSQL: even ranges, one attempt each, every row once.
// Needs `npm run build`.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunInfo } from '@mage-int/core';
import { BullmqExecutor } from '@mage-int/executor-bullmq';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, connectorBuilt, runCli, workDir } from './cli-harness.js';
import { removeQueue, workerPool } from './distributed-harness.js';

const suffix = randomBytes(4).toString('hex');
const database = `mage_ranges_my_${suffix}`;
const prefix = `mage-int-test-ranges-my-${suffix}`;
const ROWS = 40_000;

const work = workDir('key-ranges-mysql');
const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
const db = new pg.Client({ host: '127.0.0.1', user: 'postgres', database });
const executor = new BullmqExecutor({ prefix });
const redis = new Redis('redis://127.0.0.1:6379');
const queueArgs = ['--prefix', prefix];
const pool = workerPool([...queueArgs, '--concurrency', '1', '--lock-seconds', '2'], { cwd: work.dir });
let my: mysql.Connection;

beforeAll(async () => {
  assertBuilt();
  connectorBuilt('source-mysql');
  connectorBuilt('destination-postgres');
  await admin.connect();
  await admin.query(`create database ${database}`);
  await db.connect();
  my = await mysql.createConnection({ host: '127.0.0.1', user: 'root', multipleStatements: true });
  // Skewed keys: half dense, half 10 apart.
  await my.query(`CREATE DATABASE ${database}; USE ${database}; SET SESSION max_recursive_iterations = 100000;
    CREATE TABLE big (id int PRIMARY KEY, name varchar(40) NOT NULL);
    INSERT INTO big WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${ROWS})
      SELECT IF(n <= ${ROWS / 2}, n, n * 10), CONCAT('row ', n) FROM seq;
    ANALYZE TABLE big;`);
  pool.start();
  pool.start();
  await pool.ready(2);
}, 120_000);

afterAll(async () => {
  await removeQueue(pool, executor, redis, prefix);
  await my?.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await my?.end().catch(() => {});
  await db.end().catch(() => {});
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  work.remove();
});

describe('a MariaDB table split into key ranges over workers', () => {
  it('reads 4 ranges of about equal size on 2 workers, one attempt each, into PostgreSQL: every row once', async () => {
    const file = join(work.dir, 'mysql-split.yaml');
    writeFileSync(
      file,
      `id: mysql-split
source:
  name: mysql
  config: { host: 127.0.0.1, database: ${database}, username: root, batch_size: 2000 }
destination:
  name: postgres
  config: { host: 127.0.0.1, database: ${database}, username: postgres, schema: dst, batch_size_rows: 2000 }
select: [${database}-big]
streams: { ${database}-big: { key_ranges: 4 } }
state: { backend: postgres, url: "postgres://postgres@127.0.0.1:5432/${database}" }
`,
    );
    const submitted = await runCli(['submit', file, ...queueArgs, '--wait', '--json'], { cwd: work.dir, timeoutMs: 90_000 });
    expect(submitted.code, submitted.stderr).toBe(0);
    const run = JSON.parse(submitted.stdout) as RunInfo;
    expect(run).toMatchObject({ status: 'completed', rows: ROWS });
    const ranges = run.tasks.filter((t) => t.keyRange && !t.keyRange.finalize);
    expect(ranges.map((t) => t.keyRange!.index)).toEqual([1, 2, 3, 4]);
    for (const task of ranges) {
      expect(task.rows, JSON.stringify(task)).toBeGreaterThan(ROWS / 8);
      expect(task.attempts, JSON.stringify(task)).toBe(1);
    }
    const { rows } = await db.query<{ n: number; d: number; s: string }>(
      `select count(*)::int as n, count(distinct id)::int as d, sum(id)::text as s from dst.big where _sdc_deleted_at is null`,
    );
    const [[expected]] = (await my.query(`SELECT COUNT(*) AS n, CAST(SUM(id) AS CHAR) AS s FROM ${database}.big`)) as unknown as [
      { n: number; s: string }[],
    ];
    expect(rows[0]).toEqual({ n: ROWS, d: ROWS, s: expected!.s });
  });
});
