#!/usr/bin/env node
// MySQL/MariaDB → PostgreSQL full-table benchmark of @mage-int/source-mysql, run after `npm run build`:
//
//   node bench/mysql-to-postgres/run.mjs [--rows 1000000] [--keep] [--database NAME] [--skip-two-process]
//   node bench/mysql-to-postgres/run.mjs --ab OLD_MODULE [--rounds 2] [--skip-pgloader] [--database NAME] [--keep]
//
// `--database` reuses a MySQL database an earlier `--keep` run left (its `src` table), so runs compare the same rows.
// `--ab` alternates mage-int in process with an older build of source-mysql (OLD_MODULE: the path of its
// dist/index.js, placed inside this repository so it resolves @mage-int/core and mysql2) and this tree's, each round
// in the other order, pgloader once before: wall time, process CPU seconds, peak RSS and load average of each run.
// Every figure is printed with the load average (1 min) before and after it.
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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MY, mysql as mysqlCli, PG, psql } from '../lib/databases.mjs';
import { peakRssMb, pipelineChild, requireBuilt, ROOT, runChild, timed } from '../lib/measure.mjs';

const SOURCE_BIN = join(ROOT, 'connectors/source-mysql/dist/bin.js');
const TARGET_BIN = join(ROOT, 'connectors/destination-postgres/dist/bin.js');

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    database: { type: 'string' },
    'skip-two-process': { type: 'boolean', default: false },
    ab: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    'skip-pgloader': { type: 'boolean', default: false },
    'in-process-child': { type: 'string' },
    schema: { type: 'string', default: 'bench_inproc' },
    'source-module': { type: 'string' },
  },
});

const sourceConfig = (database) => ({ host: MY.host, port: MY.port, username: MY.user, database });
// BENCH_TARGET_CONFIG (a JSON object) adds destination settings: '{"defer_primary_key":false}'.
const targetConfig = (database, schema) => ({
  host: PG.host,
  port: PG.port,
  username: PG.user,
  database,
  schema,
  ...JSON.parse(process.env.BENCH_TARGET_CONFIG ?? '{}'),
});

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  const database = args['in-process-child'];
  await pipelineChild('src', async () => ({
    pipelineId: 'bench-mysql-to-postgres',
    source: (await import(args['source-module'] ?? '@mage-int/source-mysql')).default,
    sourceConfig: sourceConfig(database),
    destination: (await import('@mage-int/destination-postgres')).default,
    destinationConfig: targetConfig(database, args.schema),
    streams: { src: { selected: true, replication_method: 'FULL_TABLE' } },
  }));
}

requireBuilt([SOURCE_BIN, TARGET_BIN]);
const rows = Number(args.rows);
const database = args.database ?? `mage_bench_mypg_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-mypg-'));
const load = () => loadavg()[0].toFixed(1);

/**
 * Every column cast to one type, so copies with different column types compare by value. JSON is compared as
 * jsonb values apart from the hash (a Singer line re-serialises `0.1250` as `0.125`: the same number, other text)
 * against `reference`'s.
 */
function checksum(schema, reference) {
  const row = `ROW(id::bigint, amount::numeric(14,2), ratio::float8, qty::bigint, created_at::timestamptz, due_date::date, active::boolean, code::text, name::text)`;
  const hash = psql(
    database,
    `SET timezone = 'UTC'; SELECT count(*) || ':' || md5(string_agg(md5(${row}::text), '' ORDER BY id)) FROM ${schema}.src`,
  );
  const json = psql(
    database,
    `SELECT count(*) FROM ${schema}.src a FULL JOIN ${reference}.src b USING (id) WHERE a.payload::jsonb IS DISTINCT FROM b.payload::jsonb`,
  );
  return `${hash}:json-differences=${json}`;
}

/** Count and sums of a PostgreSQL copy, in the form of the MySQL table's. */
const postgresSums = (schema) =>
  psql(
    database,
    `SELECT count(*) || ':' || sum(amount) || ':' || sum(qty) || ':' || sum(char_length(name)) || ':' || sum(active::int) FROM ${schema}.src`,
  );

/** The in-process pipeline in a child process, into `schema`, with the source module `module` (default: this tree's). */
async function inProcessRun(schema, module) {
  psql(database, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const loadBefore = load();
  const child = await runChild(
    import.meta.url,
    ['--in-process-child', database, '--schema', schema, ...(module ? ['--source-module', module] : [])],
    { stderr: 'pipe', rssDir: work },
  );
  return { ...child.result, cpuSeconds: child.cpuSeconds, load: `${loadBefore}→${load()}` };
}

/** pgloader (Debian's) into the schema named after the MySQL database, renamed to bench_pgloader. */
async function pgloaderRun() {
  psql(database, `DROP SCHEMA IF EXISTS bench_pgloader CASCADE; DROP SCHEMA IF EXISTS ${database} CASCADE`);
  const loadBefore = load();
  const run = await timed(
    'pgloader',
    [
      '--no-ssl-cert-verification',
      `mysql://${MY.user}@${MY.host}:${MY.port}/${database}`,
      `postgresql://${PG.user}@${PG.host}:${PG.port}/${database}`,
    ],
    { cwd: work, rssDir: work, stderr: 'pipe' },
  );
  psql(database, `ALTER SCHEMA ${database} RENAME TO bench_pgloader`);
  return { ...run, load: `${loadBefore}→${load()}` };
}

const mysqlExists = () =>
  mysqlCli(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}' AND TABLE_NAME = 'src'`) === '1';

try {
  if (args.database && mysqlExists()) {
    console.log(`reusing MySQL database ${database} (load ${load()})`);
  } else {
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
  }
  const sourceSums = mysqlCli(
    `SELECT CONCAT(COUNT(*), ':', SUM(amount), ':', SUM(qty), ':', SUM(CHAR_LENGTH(name)), ':', SUM(active)) FROM src`,
    database,
  );
  if (psql('postgres', `SELECT count(*) FROM pg_database WHERE datname = '${database}'`) === '0')
    psql('postgres', `CREATE DATABASE ${database}`);

  if (args.ab) {
    // ---- A/B: the source module at `--ab` (an older build) and this tree's, alternated on the same rows ----
    const runs = [];
    const baseline = args['skip-pgloader'] ? undefined : await pgloaderRun();
    if (baseline)
      console.log(
        `pgloader:  ${baseline.seconds.toFixed(2)} s, CPU ${baseline.cpuSeconds.toFixed(1)} s, peak RSS ${baseline.rssMb.toFixed(0)} MB (load ${baseline.load})`,
      );
    for (let round = 0; round < Number(args.rounds); round++) {
      const order = round % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
      for (const side of order) {
        const schema = `bench_${side}`;
        const run = await inProcessRun(schema, side === 'old' ? args.ab : undefined);
        const sums = checksum(schema, baseline ? 'bench_pgloader' : 'bench_old');
        const ok = postgresSums(schema) === sourceSums && (!baseline || sums === checksum('bench_pgloader', 'bench_pgloader'));
        runs.push({ round, side, ...run, sums, ok });
        console.log(
          `round ${round} ${side}: ${run.seconds.toFixed(2)} s, CPU ${run.cpuSeconds.toFixed(2)} s, peak RSS ${run.maxRssMb.toFixed(0)} MB (load ${run.load})${baseline ? `, ratio ${(baseline.seconds / run.seconds).toFixed(2)}x` : ''}, ${ok ? 'sums match' : 'MISMATCH'} ${sums}`,
        );
      }
    }
    const same = runs.every((r) => r.ok && r.sums === runs[0].sums);
    console.log(`checksums: ${same ? 'all match' : 'MISMATCH'} (MySQL ${sourceSums})`);
    console.log(
      JSON.stringify({
        rows,
        pgloader: baseline && { seconds: baseline.seconds, cpuSeconds: baseline.cpuSeconds },
        runs,
        checksumsMatch: same,
      }),
    );
    if (!same) process.exitCode = 1;
  } else {
    // 1. baseline: pgloader
    const baseline = await pgloaderRun();
    console.log(
      `pgloader:              ${baseline.seconds.toFixed(2)} s, peak RSS ${baseline.rssMb.toFixed(0)} MB, CPU ${baseline.cpuSeconds.toFixed(1)} s (load ${baseline.load})`,
    );

    // 2. in process
    const inProcess = await inProcessRun('bench_inproc');
    console.log(
      `mage-int in process:   ${inProcess.seconds.toFixed(2)} s, ratio ${(baseline.seconds / inProcess.seconds).toFixed(2)}x, peak RSS ${inProcess.maxRssMb.toFixed(0)} MB, CPU ${inProcess.cpuSeconds.toFixed(1)} s (load ${inProcess.load})`,
    );

    // 3. two Singer processes
    let twoProcess;
    if (!args['skip-two-process']) {
      psql(database, `DROP SCHEMA IF EXISTS bench_singer CASCADE`);
      writeFileSync(join(work, 'source.json'), JSON.stringify(sourceConfig(database)));
      writeFileSync(join(work, 'target.json'), JSON.stringify(targetConfig(database, 'bench_singer')));
      const catalog = JSON.parse(
        execFileSync(process.execPath, [SOURCE_BIN, '--config', join(work, 'source.json'), '--discover'], { encoding: 'utf8' }),
      );
      for (const s of catalog.streams) s.metadata.find((m) => m.breadcrumb.length === 0).metadata.selected = s.stream === 'src';
      writeFileSync(join(work, 'catalog.json'), JSON.stringify(catalog));
      const timeSource = join(work, 'source.rss');
      const timeTarget = join(work, 'target.rss');
      const timeFormat = (file) => `/usr/bin/time -f '%M %U %S' -o ${file}`;
      const pipe = `${timeFormat(timeSource)} ${process.execPath} ${SOURCE_BIN} --config ${work}/source.json --catalog ${work}/catalog.json | ${timeFormat(timeTarget)} ${process.execPath} ${TARGET_BIN} --config ${work}/target.json > ${work}/states.jsonl`;
      const loadBefore = load();
      const result = await timed('bash', ['-o', 'pipefail', '-c', pipe], {
        env: { ...process.env, MAGE_INT_LOG_LEVEL: 'warn' },
        stderr: 'pipe',
      });
      const cpu = (file) =>
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .at(-1)
          .split(' ')
          .slice(1)
          .map(Number)
          .reduce((a, b) => a + b, 0);
      twoProcess = {
        seconds: result.seconds,
        ratio: baseline.seconds / result.seconds,
        peakRssMb: { source: peakRssMb(timeSource), target: peakRssMb(timeTarget) },
        cpuSeconds: { source: cpu(timeSource), target: cpu(timeTarget) },
        load: `${loadBefore}→${load()}`,
      };
      console.log(
        `mage-int two-process:  ${result.seconds.toFixed(2)} s, ratio ${twoProcess.ratio.toFixed(2)}x, peak RSS source ${twoProcess.peakRssMb.source.toFixed(0)} MB, target ${twoProcess.peakRssMb.target.toFixed(0)} MB, CPU source ${twoProcess.cpuSeconds.source.toFixed(1)} s, target ${twoProcess.cpuSeconds.target.toFixed(1)} s (load ${twoProcess.load})`,
      );
    }

    const sums = {
      pgloader: checksum('bench_pgloader', 'bench_pgloader'),
      inProcess: checksum('bench_inproc', 'bench_pgloader'),
      ...(twoProcess ? { twoProcess: checksum('bench_singer', 'bench_pgloader') } : {}),
    };
    const pgSums = postgresSums('bench_inproc');
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
        pgloader: { seconds: baseline.seconds, peakRssMb: baseline.rssMb, cpuSeconds: baseline.cpuSeconds, load: baseline.load },
        inProcess: { ...inProcess, ratio: baseline.seconds / inProcess.seconds },
        ...(twoProcess ? { twoProcess } : {}),
        checksumsMatch: ok,
      }),
    );
    if (!ok) process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) {
    mysqlCli(`DROP DATABASE IF EXISTS ${database}`);
    psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}
