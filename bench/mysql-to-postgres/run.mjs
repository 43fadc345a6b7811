#!/usr/bin/env node
// MySQL/MariaDB → PostgreSQL full-table benchmark of @mage-int/source-mysql, run after `npm run build`:
//
//   node bench/mysql-to-postgres/run.mjs [--rows 1000000] [--keep] [--skip-two-process]
//
// Creates a scratch MySQL database with the 10-column mixed table of the other benches (decimal, double, int,
// timestamp(6), date, tinyint(1), varchar, text with quotes/newlines/unicode, json) and an empty PostgreSQL
// database, then measures in the same run:
//   1. the baseline: pgloader (Debian's) loading the table into PostgreSQL;
//   2. mage-int in process: runPipeline(source-mysql → destination-postgres), in a child process of its own;
//   3. mage-int as two Singer processes: `source-mysql | destination-postgres`.
// Prints time, throughput ratio against pgloader (pgloader time / mage-int time) and peak RSS of each, and checks
// that every PostgreSQL copy has the same checksum (each column cast to one type, so pgloader's type choices and
// ours compare by value) and the source's row count and sums. Connections: MYSQL_HOST/MYSQL_PORT/MYSQL_USER
// (127.0.0.1:3306 root, no password) and PGHOST/PGPORT/PGUSER (127.0.0.1:5432 postgres, trust).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MY, mysql as mysqlCli, PG, psql } from '../lib/databases.mjs';
import { peakRssMb, pipelineChild, requireBuilt, ROOT, runChild, timed, timePrefix } from '../lib/measure.mjs';

const SOURCE_BIN = join(ROOT, 'connectors/source-mysql/dist/bin.js');
const TARGET_BIN = join(ROOT, 'connectors/destination-postgres/dist/bin.js');

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    'skip-two-process': { type: 'boolean', default: false },
    'in-process-child': { type: 'string' },
  },
});

const sourceConfig = (database) => ({ host: MY.host, port: MY.port, username: MY.user, database });
const targetConfig = (database, schema) => ({ host: PG.host, port: PG.port, username: PG.user, database, schema });

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  const database = args['in-process-child'];
  await pipelineChild('src', async () => ({
    pipelineId: 'bench-mysql-to-postgres',
    source: (await import('@mage-int/source-mysql')).default,
    sourceConfig: sourceConfig(database),
    destination: (await import('@mage-int/destination-postgres')).default,
    destinationConfig: targetConfig(database, 'bench_inproc'),
    streams: { src: { selected: true, replication_method: 'FULL_TABLE' } },
  }));
}

requireBuilt([SOURCE_BIN, TARGET_BIN]);
const rows = Number(args.rows);
const database = `mage_bench_mypg_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-mypg-'));

/**
 * Every column cast to one type, so copies with different column types compare by value. JSON is compared as
 * jsonb values apart from the hash (a Singer line re-serialises `0.1250` as `0.125`: the same number, other text).
 */
function checksum(schema) {
  const row = `ROW(id::bigint, amount::numeric(14,2), ratio::float8, qty::bigint, created_at::timestamptz, due_date::date, active::boolean, code::text, name::text)`;
  const hash = psql(
    database,
    `SET timezone = 'UTC'; SELECT count(*) || ':' || md5(string_agg(md5(${row}::text), '' ORDER BY id)) FROM ${schema}.src`,
  );
  const json = psql(
    database,
    `SELECT count(*) FROM ${schema}.src a FULL JOIN bench_pgloader.src b USING (id) WHERE a.payload::jsonb IS DISTINCT FROM b.payload::jsonb`,
  );
  return `${hash}:json-differences=${json}`;
}

try {
  console.log(`creating ${rows.toLocaleString('en')} rows in MySQL database ${database} …`);
  mysqlCli(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  mysqlCli(
    `SET time_zone = '+00:00';
     CREATE TABLE src (
       id bigint PRIMARY KEY, amount decimal(14,2) NOT NULL, ratio double, qty int,
       created_at timestamp(6) NOT NULL, due_date date, active tinyint(1), code varchar(32), name text, payload json);
     INSERT INTO src
     SELECT g, (g * 7919 % 100000000) / 100.0, g / 7.0, g % 1000,
            TIMESTAMP('2020-01-01 00:00:00') + INTERVAL g * 1234567 MICROSECOND, DATE('2020-01-01') + INTERVAL (g % 3000) DAY,
            g % 3 = 0, CONCAT('CODE-', g % 10000),
            CASE g % 4 WHEN 0 THEN CONCAT('plain name ', g) WHEN 1 THEN CONCAT('O''Brien said "hi", ', g)
                       WHEN 2 THEN CONCAT('multi\\nline\\ttab\\\\back ', g) ELSE CONCAT('ünïcödé 日本語 😀 ', g) END,
            JSON_OBJECT('id', g, 'tags', JSON_ARRAY('a', 'b', g % 10), 'nested', JSON_OBJECT('x', (g % 1000) / 8.0, 's', CONCAT('str "q" ', g)))
       FROM (SELECT seq AS g FROM seq_1_to_${rows}) s;
     ANALYZE TABLE src;`,
    database,
  );
  const sourceSums = mysqlCli(
    `SELECT CONCAT(COUNT(*), ':', SUM(amount), ':', SUM(qty), ':', SUM(CHAR_LENGTH(name)), ':', SUM(active)) FROM src`,
    database,
  );
  psql('postgres', `CREATE DATABASE ${database}`);

  // 1. baseline: pgloader, into the schema named after the MySQL database
  const baseline = await timed(
    'pgloader',
    [
      '--no-ssl-cert-verification',
      `mysql://${MY.user}@${MY.host}:${MY.port}/${database}`,
      `postgresql://${PG.user}@${PG.host}:${PG.port}/${database}`,
    ],
    { cwd: work, rssDir: work, stderr: 'pipe' },
  );
  psql(database, `ALTER SCHEMA ${database} RENAME TO bench_pgloader`);
  console.log(`pgloader:              ${baseline.seconds.toFixed(2)} s, peak RSS ${baseline.rssMb.toFixed(0)} MB`);

  // 2. in process
  const { result: inProcess } = await runChild(import.meta.url, ['--in-process-child', database], { stderr: 'pipe' });
  console.log(
    `mage-int in process:   ${inProcess.seconds.toFixed(2)} s, ratio ${(baseline.seconds / inProcess.seconds).toFixed(2)}x, peak RSS ${inProcess.maxRssMb.toFixed(0)} MB`,
  );

  // 3. two Singer processes
  let twoProcess;
  if (!args['skip-two-process']) {
    writeFileSync(join(work, 'source.json'), JSON.stringify(sourceConfig(database)));
    writeFileSync(join(work, 'target.json'), JSON.stringify(targetConfig(database, 'bench_singer')));
    execFileSync(process.execPath, [SOURCE_BIN, '--config', join(work, 'source.json'), '--discover'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const catalog = JSON.parse(
      execFileSync(process.execPath, [SOURCE_BIN, '--config', join(work, 'source.json'), '--discover'], { encoding: 'utf8' }),
    );
    for (const s of catalog.streams) s.metadata.find((m) => m.breadcrumb.length === 0).metadata.selected = s.stream === 'src';
    writeFileSync(join(work, 'catalog.json'), JSON.stringify(catalog));
    const timeSource = join(work, 'source.rss');
    const timeTarget = join(work, 'target.rss');
    const pipe = `${timePrefix(timeSource)} ${process.execPath} ${SOURCE_BIN} --config ${work}/source.json --catalog ${work}/catalog.json | ${timePrefix(timeTarget)} ${process.execPath} ${TARGET_BIN} --config ${work}/target.json > ${work}/states.jsonl`;
    const result = await timed('bash', ['-o', 'pipefail', '-c', pipe], {
      env: { ...process.env, MAGE_INT_LOG_LEVEL: 'warn' },
      stderr: 'pipe',
    });
    twoProcess = {
      seconds: result.seconds,
      ratio: baseline.seconds / result.seconds,
      peakRssMb: { source: peakRssMb(timeSource), target: peakRssMb(timeTarget) },
    };
    console.log(
      `mage-int two-process:  ${result.seconds.toFixed(2)} s, ratio ${twoProcess.ratio.toFixed(2)}x, peak RSS source ${twoProcess.peakRssMb.source.toFixed(0)} MB, target ${twoProcess.peakRssMb.target.toFixed(0)} MB`,
    );
  }

  const sums = {
    pgloader: checksum('bench_pgloader'),
    inProcess: checksum('bench_inproc'),
    ...(twoProcess ? { twoProcess: checksum('bench_singer') } : {}),
  };
  const pgSums = psql(
    database,
    `SELECT count(*) || ':' || sum(amount) || ':' || sum(qty) || ':' || sum(char_length(name)) || ':' || sum(active::int) FROM bench_inproc.src`,
  );
  const ok = Object.values(sums).every((sum) => sum === sums.pgloader) && pgSums === sourceSums;
  const types = (schema) =>
    psql(
      database,
      `SELECT string_agg(format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '${schema}.src'::regclass AND attnum > 0 AND NOT attisdropped`,
    );
  console.log(`types, mage-int:       ${types('bench_inproc')}`);
  console.log(`types, pgloader:       ${types('bench_pgloader')}`);
  console.log(
    `checksums:             ${ok ? 'all match' : 'MISMATCH'} ${JSON.stringify({ ...sums, mysqlSums: sourceSums, postgresSums: pgSums })}`,
  );
  console.log(
    JSON.stringify({
      rows,
      pgloader: { seconds: baseline.seconds, peakRssMb: baseline.rssMb },
      inProcess: { seconds: inProcess.seconds, ratio: baseline.seconds / inProcess.seconds, peakRssMb: inProcess.maxRssMb },
      ...(twoProcess ? { twoProcess } : {}),
      checksumsMatch: ok,
    }),
  );
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) {
    mysqlCli(`DROP DATABASE IF EXISTS ${database}`);
    psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}
