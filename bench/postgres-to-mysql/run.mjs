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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createMixedTableSql,
  insertMixedRowsSql,
  MY,
  MYSQL_ARGS,
  mysql,
  PG,
  pgEnv,
  psqlConnection,
  psql as psqlAny,
} from '../lib/databases.mjs';
import { pipelineChild, requireBuilt, ROOT, runChild, timed } from '../lib/measure.mjs';

const BUILT = [join(ROOT, 'connectors/source-postgres/dist/index.js'), join(ROOT, 'connectors/destination-mysql/dist/index.js')];
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

const psql = (database, sql) => psqlAny(database, sql, { utc: true });

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  await pipelineChild('orders', async () => ({
    pipelineId: 'bench-postgres-to-mysql',
    source: (await import('@mage-int/source-postgres')).default,
    sourceConfig: { host: PG.host, port: PG.port, username: PG.user, database: args['in-process-child'], schema: 'bench_src' },
    destination: (await import('@mage-int/destination-mysql')).default,
    destinationConfig: {
      host: MY.host,
      port: MY.port,
      username: MY.user,
      database: args.target,
      ...(process.env.BENCH_BATCH_ROWS ? { batch_size_rows: Number(process.env.BENCH_BATCH_ROWS) } : {}),
    },
    streams: { orders: { selected: true, replication_method: 'FULL_TABLE' } },
    ...(process.env.BENCH_BUFFER_RECORDS ? { bufferRecords: Number(process.env.BENCH_BUFFER_RECORDS) } : {}),
  }));
}

// ---- the benchmark ----
requireBuilt(BUILT);
const rows = Number(args.rows);
const database = `mage_bench_pgmy_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-pgmy-'));
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
  psql(database, `CREATE SCHEMA bench_src; ${createMixedTableSql('bench_src.orders')} ${insertMixedRowsSql('bench_src.orders', 1, rows)}`);
  psql(database, 'VACUUM ANALYZE bench_src.orders');
  mysql(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`);
  mysql(`CREATE TABLE baseline (${TABLE_DDL}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`, database);

  // Baseline: PostgreSQL's text COPY (tab-separated, \N, backslash escapes: LOAD DATA's default format) into a file …
  const file = join(work, 'orders.tsv');
  const select = `SELECT id, amount, ratio, qty, created_at AT TIME ZONE 'UTC', due_date, active::int, code, name, payload FROM bench_src.orders`;
  const exported = await timed(
    'bash',
    ['-o', 'pipefail', '-c', `psql ${psqlConnection(database)} -c "COPY (${select}) TO STDOUT" > ${file}`],
    { env: pgEnv({ utc: true }), rssDir: work },
  );
  // … then MySQL's own bulk load of that file, from the client, as mage-int loads (LOCAL).
  const loaded = await timed(
    'mysql',
    [
      ...MYSQL_ARGS,
      '--local-infile=1',
      database,
      '-e',
      `SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '${file}' INTO TABLE baseline CHARACTER SET utf8mb4 (id, amount, ratio, qty, created_at, due_date, active, code, name, payload); SHOW WARNINGS;`,
    ],
    { rssDir: work },
  );
  if (loaded.out.trim()) throw new Error(`the baseline LOAD DATA reported warnings:\n${loaded.out}`);
  rmSync(file);
  console.log(
    `baseline: psql COPY export ${exported.seconds.toFixed(2)} s, LOAD DATA LOCAL INFILE ${loaded.seconds.toFixed(2)} s (mysql client peak RSS ${loaded.rssMb.toFixed(0)} MB)`,
  );

  const run = await runChild(import.meta.url, ['--in-process-child', database, '--target', database], { rssDir: work });
  const { result } = run;
  const ratio = loaded.seconds / result.seconds;
  console.log(
    `mage-int in process: ${result.seconds.toFixed(2)} s (${run.cpuSeconds.toFixed(1)} s CPU), ratio ${ratio.toFixed(2)}x of LOAD DATA (${((exported.seconds + loaded.seconds) / result.seconds).toFixed(2)}x of export + LOAD DATA), peak RSS ${run.rssMb.toFixed(0)} MB`,
  );
  const sums = { baseline: checksum('baseline'), mage: checksum('orders') };
  const types = mysql(
    `SELECT GROUP_CONCAT(COLUMN_TYPE ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${database}' AND TABLE_NAME = 'orders'`,
  );
  const ok = sums.baseline === sums.mage && sums.mage.startsWith(`${rows}:`);
  console.log(`destination types: ${types}`);
  console.log(`checksums: ${ok ? 'match' : 'MISMATCH'} ${JSON.stringify(sums)}`);
  console.log(
    JSON.stringify({
      rows,
      exportSeconds: exported.seconds,
      loadDataSeconds: loaded.seconds,
      mage: { seconds: result.seconds, ratio, rssMb: run.rssMb, cpuSeconds: run.cpuSeconds },
      checksumsMatch: ok,
    }),
  );
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) {
    psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    mysql(`DROP DATABASE IF EXISTS \`${database}\``);
  }
}
