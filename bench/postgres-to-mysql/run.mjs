#!/usr/bin/env node
// PostgreSQL → MySQL/MariaDB full-table benchmark of @mage-int/destination-mysql, run after `npm run build`:
//
//   node bench/postgres-to-mysql/run.mjs [--rows 1000000] [--keep]
//   (BENCH_BUFFER_RECORDS: the runner's read-ahead, default 2,000; BENCH_BATCH_ROWS: the destination's batch_size_rows)
//
// Creates a scratch PostgreSQL database with the 10-column mixed `orders` table of bench/destination-postgres
// (numeric, float, integer, timestamptz, date, boolean, varchar, text with quotes/newlines/unicode, jsonb) and a
// scratch MariaDB database, then measures in the same run:
//   1. the baseline: the same rows exported once with `psql COPY … TO STDOUT` into a file (PostgreSQL's text
//      format is LOAD DATA's default format), then `mysql --local-infile -e "LOAD DATA LOCAL INFILE 'file' …"`
//      into an identical table (the columns mage-int creates, primary key included). The ratio is against the
//      LOAD DATA alone (the export is printed too);
//   2. mage-int in process: runPipeline(source-postgres → destination-mysql), as `mage-int run` does, in a child
//      process so its peak RSS is its own.
// Prints time, throughput ratio (baseline time / mage-int time), peak RSS of both, and checks that the two MySQL
// tables hold the same rows (count and a sum of per-row MD5s over every column). Connections: PGHOST/PGPORT/PGUSER
// (default 127.0.0.1:5432 postgres, trust) and MYSQL_HOST/MYSQL_PORT/MYSQL_USER (default 127.0.0.1:3306 root).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = [join(ROOT, 'connectors/source-postgres/dist/index.js'), join(ROOT, 'connectors/destination-mysql/dist/index.js')];
const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres' };
const MY = { host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306), user: process.env.MYSQL_USER ?? 'root' };
// What destination-mysql creates for the source's columns (numeric(14,2), double precision, integer, timestamptz, date,
// boolean, varchar(32), text, jsonb), so both sides load into the same table.
const TABLE_DDL = `id bigint NOT NULL, amount decimal(14,2) NOT NULL, ratio double NULL, qty int NULL, created_at datetime(6) NOT NULL,
  due_date date NULL, active tinyint(1) NULL, code varchar(32) NULL, name longtext NULL, payload json NULL, PRIMARY KEY (id)`;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    'in-process-child': { type: 'string' },
    target: { type: 'string' },
  },
});

function psql(database, sql) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', database, '-c', sql], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, PGTZ: 'UTC' },
  }).trim();
}

const mysqlArgs = ['-h', MY.host, '-P', String(MY.port), '-u', MY.user, '--batch', '--skip-column-names'];
function mysql(sql, database) {
  return execFileSync('mysql', [...mysqlArgs, ...(database ? [database] : []), '-e', sql], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
}

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  const { runPipeline, silentLogger, tuneHeapForStreaming } = await import('@mage-int/core');
  tuneHeapForStreaming(); // as `mage-int run` does
  const source = (await import('@mage-int/source-postgres')).default;
  const destination = (await import('@mage-int/destination-mysql')).default;
  const started = performance.now();
  const summary = await runPipeline({
    pipelineId: 'bench-postgres-to-mysql',
    source,
    sourceConfig: { host: PG.host, port: PG.port, username: PG.user, database: args['in-process-child'], schema: 'bench_src' },
    destination,
    destinationConfig: { host: MY.host, port: MY.port, username: MY.user, database: args.target, ...(process.env.BENCH_BATCH_ROWS ? { batch_size_rows: Number(process.env.BENCH_BATCH_ROWS) } : {}) },
    streams: { orders: { selected: true, replication_method: 'FULL_TABLE' } },
    ...(process.env.BENCH_BUFFER_RECORDS ? { bufferRecords: Number(process.env.BENCH_BUFFER_RECORDS) } : {}),
    logger: silentLogger,
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ seconds, records: summary.streams['orders']?.records ?? 0 }) + '\n');
  process.exit(0);
}

// ---- the benchmark ----
for (const file of BUILT) {
  if (!existsSync(file)) {
    console.error(`${file} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
}
const rows = Number(args.rows);
const database = `mage_bench_pgmy_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-pgmy-'));
const pgEnv = { ...process.env, PGHOST: PG.host, PGPORT: String(PG.port), PGUSER: PG.user, PGTZ: 'UTC' };

/** Runs a command; resolves with its wall time, stdout, peak RSS in MB and CPU seconds (GNU time's %M, %U + %S). */
function timed(command, argv, options = {}) {
  const rssFile = join(work, `rss-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, command, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], ...options });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} ${argv.join(' ')} exited ${code}`));
      const [kb, user, system] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
      resolve({ seconds: (performance.now() - started) / 1000, out, rssMb: kb / 1024, cpuSeconds: user + system });
    });
  });
}

/** Count and a sum of per-row MD5 prefixes over every column, in MySQL (order-independent). */
function checksum(table) {
  return mysql(
    `SET NAMES utf8mb4 COLLATE utf8mb4_nopad_bin; SELECT CONCAT(COUNT(*), ':', SUM(CAST(CONV(LEFT(MD5(CONCAT_WS('|', id, amount, ratio, qty, created_at, due_date, active, code, name, payload COLLATE utf8mb4_nopad_bin)), 15), 16, 10) AS UNSIGNED)))
       FROM \`${database}\`.\`${table}\``,
  );
}

try {
  console.log(`creating ${rows.toLocaleString('en')} rows in PostgreSQL ${database} …`);
  psql('postgres', `CREATE DATABASE ${database}`);
  psql(
    database,
    `CREATE SCHEMA bench_src;
     CREATE TABLE bench_src.orders (
       id bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, ratio double precision, qty integer,
       created_at timestamptz NOT NULL, due_date date, active boolean, code varchar(32), name text, payload jsonb);
     INSERT INTO bench_src.orders
     SELECT g, (g * 7919 % 100000000) / 100.0, g / 7.0, (g % 1000)::int,
            timestamptz '2020-01-01 00:00:00+00' + g * interval '1.234567 second', date '2020-01-01' + (g % 3000)::int,
            g % 3 = 0, 'CODE-' || (g % 10000),
            CASE g % 4 WHEN 0 THEN 'plain name ' || g WHEN 1 THEN 'O''Brien said "hi", ' || g
                       WHEN 2 THEN E'multi\\nline\\ttab\\\\back ' || g ELSE 'ünïcödé 日本語 😀 ' || g END,
            jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', g % 10),
                               'nested', jsonb_build_object('x', ((g % 1000) / 8.0)::float8, 's', 'str "q" ' || g))
       FROM generate_series(1::bigint, ${rows}) g;`,
  );
  psql(database, 'VACUUM ANALYZE bench_src.orders');
  mysql(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`);
  mysql(`CREATE TABLE baseline (${TABLE_DDL}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`, database);

  // Baseline: PostgreSQL's text COPY (tab-separated, \N, backslash escapes: LOAD DATA's default format) into a file …
  const file = join(work, 'orders.tsv');
  const conn = `-X -q -h ${PG.host} -p ${PG.port} -U ${PG.user} -d ${database}`;
  const select = `SELECT id, amount, ratio, qty, created_at AT TIME ZONE 'UTC', due_date, active::int, code, name, payload FROM bench_src.orders`;
  const exported = await timed('bash', ['-o', 'pipefail', '-c', `psql ${conn} -c "COPY (${select}) TO STDOUT" > ${file}`], { env: pgEnv });
  // … then MySQL's own bulk load of that file, from the client, as mage-int loads (LOCAL).
  const loaded = await timed('mysql', [
    ...mysqlArgs,
    '--local-infile=1',
    database,
    '-e',
    `SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '${file}' INTO TABLE baseline CHARACTER SET utf8mb4 (id, amount, ratio, qty, created_at, due_date, active, code, name, payload); SHOW WARNINGS;`,
  ]);
  if (loaded.out.trim()) throw new Error(`the baseline LOAD DATA reported warnings:\n${loaded.out}`);
  rmSync(file);
  console.log(`baseline: psql COPY export ${exported.seconds.toFixed(2)} s, LOAD DATA LOCAL INFILE ${loaded.seconds.toFixed(2)} s (mysql client peak RSS ${loaded.rssMb.toFixed(0)} MB)`);

  const run = await timed(process.execPath, [fileURLToPath(import.meta.url), '--in-process-child', database, '--target', database], { cwd: ROOT });
  const result = JSON.parse(run.out.trim().split('\n').at(-1));
  const ratio = loaded.seconds / result.seconds;
  console.log(
    `mage-int in process: ${result.seconds.toFixed(2)} s (${run.cpuSeconds.toFixed(1)} s CPU), ratio ${ratio.toFixed(2)}x of LOAD DATA (${((exported.seconds + loaded.seconds) / result.seconds).toFixed(2)}x of export + LOAD DATA), peak RSS ${run.rssMb.toFixed(0)} MB`,
  );
  const sums = { baseline: checksum('baseline'), mage: checksum('orders') };
  const types = mysql(`SELECT GROUP_CONCAT(COLUMN_TYPE ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${database}' AND TABLE_NAME = 'orders'`);
  const ok = sums.baseline === sums.mage && sums.mage.startsWith(`${rows}:`);
  console.log(`destination types: ${types}`);
  console.log(`checksums: ${ok ? 'match' : 'MISMATCH'} ${JSON.stringify(sums)}`);
  console.log(JSON.stringify({ rows, exportSeconds: exported.seconds, loadDataSeconds: loaded.seconds, mage: { seconds: result.seconds, ratio, rssMb: run.rssMb, cpuSeconds: run.cpuSeconds }, checksumsMatch: ok }));
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) {
    psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    mysql(`DROP DATABASE IF EXISTS \`${database}\``);
  }
}
