#!/usr/bin/env node
// PostgreSQL → DuckDB full-table benchmark of @mage-int/destination-duckdb, run after `npm run build`:
//
//   node bench/destination-duckdb/run.mjs [--rows 1000000] [--memory-rows 4000000] [--profile DIR] [--keep] [--setup-only]
//   node bench/destination-duckdb/run.mjs --compare OTHER/dist/index.js [--rounds 2] [--database NAME]   (A/B)
//
// Creates a scratch PostgreSQL database with the 10-column mixed `orders` table of bench/destination-postgres
// (numeric, float, integer, timestamptz, date, boolean, varchar, text with quotes/newlines/unicode, jsonb), then
// measures in the same run:
//   1. the baseline: `psql -c "COPY orders TO STDOUT (FORMAT csv)"` into a file, then DuckDB's own
//      `COPY orders FROM 'file'` into the same table with its primary key, in a process of its own (node and
//      @duckdb/node-api: the DuckDB engine mage-int links), whose peak RSS is the memory yardstick;
//   2. mage-int in process: runPipeline(source-postgres → destination-duckdb), as `mage-int run` does, in a child
//      process so its peak RSS is its own;
//   2b. the same with the batches' COPY text removed, so destination-duckdb loads the records through its Appender
//      (its path for every source that is not PostgreSQL);
//   3. with --memory-rows N: the source grows to N rows and step 2 runs again, to show memory stays flat.
// Prints time, throughput ratio (baseline time / mage-int time), peak RSS of both sides, and checks that the
// DuckDB tables hold the source's rows: PostgreSQL's checksum must equal the baseline table's (which holds
// PostgreSQL's own text), and the baseline table's must equal mage-int's with JSON compared as DuckDB's
// minified `json()` (mage-int writes JSON without PostgreSQL's spaces). --compare FILE is the A/B mode: another build
// of destination-duckdb (its dist/index.js, e.g. the main branch's built in a scratch copy) and this one run in turns
// on the same rows, `--rounds` times each, after one baseline; CPU seconds and peak RSS are the comparison that holds
// on a busy machine. --database NAME reuses a database --setup-only --keep made. --profile DIR writes a `--cpu-prof`
// profile of the mage-int child there. BENCH_DUCKDB_CONFIG='{"memory_limit":"512MB"}' adds destination settings. Connection: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432 postgres, trust).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMixedTableSql, insertMixedRowsSql, PG, pgEnv, psqlConnection, psql as psqlAny } from '../lib/databases.mjs';
import { pipelineChild, requireBuilt, ROOT, runChild, timed } from '../lib/measure.mjs';

const BUILT = [join(ROOT, 'connectors/source-postgres/dist/index.js'), join(ROOT, 'connectors/destination-duckdb/dist/index.js')];
const TABLE_DDL = `id BIGINT PRIMARY KEY, amount DECIMAL(14,2) NOT NULL, ratio DOUBLE, qty INTEGER, created_at TIMESTAMPTZ NOT NULL,
  due_date DATE, active BOOLEAN, code VARCHAR, name VARCHAR, payload JSON`;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'memory-rows': { type: 'string' },
    profile: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'setup-only': { type: 'boolean', default: false },
    'in-process-child': { type: 'string' },
    'baseline-child': { type: 'string' },
    path: { type: 'string' },
    records: { type: 'boolean', default: false },
    compare: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    database: { type: 'string' },
  },
});

const psql = (database, sql) => psqlAny(database, sql, { utc: true });

// ---- child mode: DuckDB's own CSV load (the baseline's second half) ----
if (args['baseline-child']) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(args.path);
  const connection = await db.connect();
  await connection.run("SET TimeZone = 'UTC'");
  await connection.run(`CREATE TABLE orders (${TABLE_DDL})`);
  await connection.run(`COPY orders FROM '${args['baseline-child'].replace(/'/g, "''")}' (FORMAT csv)`);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  db.closeSync();
  process.exit(0);
}

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  await pipelineChild('orders', async () => {
    const postgres = (await import('@mage-int/source-postgres')).default;
    // --records: the batches without their COPY text, so the destination loads every record itself (as from any other source).
    const source = args.records
      ? {
          ...postgres,
          async *read(...rest) {
            for await (const message of postgres.read(...rest))
              yield message.type === 'RECORD_BATCH' ? { ...message, native: undefined } : message;
          },
        }
      : postgres;
    const destination = (await import(process.env.BENCH_DUCKDB_DESTINATION ?? '@mage-int/destination-duckdb')).default;
    return {
      pipelineId: 'bench-destination-duckdb',
      source,
      sourceConfig: { host: PG.host, port: PG.port, username: PG.user, database: args['in-process-child'], schema: 'bench_src' },
      destination,
      destinationConfig: { path: args.path, ...JSON.parse(process.env.BENCH_DUCKDB_CONFIG ?? '{}') },
      streams: { orders: { selected: true, replication_method: 'FULL_TABLE' } },
    };
  });
}

// ---- the benchmark ----
requireBuilt(BUILT);
const rows = Number(args.rows);
const database = args.database ?? `mage_bench_dduck_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-dduck-'));

/** Rows `from`..`to` of the mixed table (the generator of bench/destination-postgres). */
function insertRows(from, to) {
  psql(database, insertMixedRowsSql('bench_src.orders', from, to));
  psql(database, 'VACUUM ANALYZE bench_src.orders');
}

/**
 * One row's text, alike in PostgreSQL (TimeZone UTC) and DuckDB; `json` is the payload's text in it. Doubles
 * print alike except that DuckDB writes `1.0` where PostgreSQL writes `1`.
 */
function rowText(json) {
  return `concat_ws('|', id, amount, regexp_replace(ratio::text, '\\.0$', ''), qty, created_at, due_date, active::int, code, name, ${json})`;
}

/** md5 over the rows' md5s in key order (as bench/destination-postgres does). */
function checksumSql(table, json) {
  return `SELECT count(*) || ':' || md5(string_agg(md5(${rowText(json)}), '' ORDER BY id)) AS sum FROM ${table}`;
}

/** Checksums of DuckDB files, computed in a process of its own once the timed runs are over. */
async function duckChecksums(files) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const out = {};
  for (const [name, file, json] of files) {
    const db = await DuckDBInstance.create(file);
    const connection = await db.connect();
    await connection.run("SET TimeZone = 'UTC'");
    const [row] = (await connection.runAndReadAll(checksumSql('orders', json))).getRowObjectsJson();
    const types = (
      await connection.runAndReadAll(
        `SELECT string_agg(data_type, ', ' ORDER BY column_index) AS t FROM duckdb_columns() WHERE table_name = 'orders'`,
      )
    ).getRowObjectsJson();
    out[name] = { sum: String(row.sum), types: String(types[0]?.t) };
    connection.closeSync();
    db.closeSync();
  }
  return out;
}

/** A/B: this build and `other` in turns on the same rows; every table's checksum must equal the baseline's. */
async function compare(other, rounds) {
  const { baseline, sums } = await measure('ab', undefined, false, true);
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, dist] of [
      ['new', undefined],
      ['old', other],
    ]) {
      const file = join(work, `${name}-${round}.duckdb`);
      const env = dist ? { ...process.env, BENCH_DUCKDB_DESTINATION: dist } : process.env;
      const run = await runChild(import.meta.url, ['--in-process-child', database, '--path', file], { rssDir: work, env });
      const [load] = (await import('node:os')).loadavg();
      const sum = (await duckChecksums([[name, file, 'json(payload)']]))[name].sum;
      rmSync(file, { force: true });
      runs.push({
        name,
        seconds: run.result.seconds,
        cpuSeconds: run.cpuSeconds,
        rssMb: run.rssMb,
        load,
        match: sum === sums.baselineMinified.sum,
      });
      console.log(
        `[A/B ${round + 1}] ${name}: ${run.result.seconds.toFixed(2)} s, ${run.cpuSeconds.toFixed(1)} s CPU, peak RSS ${run.rssMb.toFixed(0)} MB, ratio ${(baseline.seconds / run.result.seconds).toFixed(2)}x, load ${load.toFixed(1)}, checksum ${sum === sums.baselineMinified.sum ? 'matches' : 'DIFFERS'}`,
      );
    }
  }
  return { baseline, runs, sums, ok: runs.every((r) => r.match) };
}

/** Baseline (psql CSV export + DuckDB's COPY) and mage-int in process, on the source as it is now. */
async function measure(label, profile, withRecordPath, baselineOnly = false) {
  const csv = join(work, 'orders.csv');
  const baseFile = join(work, `baseline-${label}.duckdb`);
  const mageFile = join(work, `mage-${label}.duckdb`);
  const recordsFile = join(work, `records-${label}.duckdb`);
  const exported = await timed(
    'bash',
    ['-o', 'pipefail', '-c', `psql ${psqlConnection(database)} -c "COPY bench_src.orders TO STDOUT (FORMAT csv)" > ${csv}`],
    { env: pgEnv({ utc: true }), rssDir: work },
  );
  const loaded = await runChild(import.meta.url, ['--baseline-child', csv, '--path', baseFile], { rssDir: work });
  rmSync(csv);
  const baseline = {
    seconds: exported.seconds + loaded.seconds,
    exportSeconds: exported.seconds,
    loadSeconds: loaded.seconds,
    rssMb: loaded.rssMb,
    duckdbCpuSeconds: loaded.cpuSeconds,
  };
  console.log(
    `[${label}] baseline: ${baseline.seconds.toFixed(2)} s (psql CSV export ${exported.seconds.toFixed(2)} s + DuckDB COPY ${loaded.seconds.toFixed(2)} s, ${loaded.cpuSeconds.toFixed(1)} s CPU), DuckDB process peak RSS ${loaded.rssMb.toFixed(0)} MB`,
  );
  if (baselineOnly) {
    const sums = await duckChecksums([
      ['baseline', baseFile, 'payload'],
      ['baselineMinified', baseFile, 'json(payload)'],
    ]);
    rmSync(baseFile, { force: true });
    return { baseline, sums };
  }
  const profiling = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const run = await runChild(import.meta.url, ['--in-process-child', database, '--path', mageFile], { rssDir: work, nodeArgs: profiling });
  const { result } = run;
  const inProcess = {
    seconds: result.seconds,
    ratio: baseline.seconds / result.seconds,
    rssMb: run.rssMb,
    rssRatio: run.rssMb / baseline.rssMb,
    cpuSeconds: run.cpuSeconds,
    records: result.records,
  };
  console.log(
    `[${label}] mage-int in process: ${inProcess.seconds.toFixed(2)} s (${run.cpuSeconds.toFixed(1)} s CPU), ratio ${inProcess.ratio.toFixed(2)}x, peak RSS ${inProcess.rssMb.toFixed(0)} MB (${inProcess.rssRatio.toFixed(2)}x the baseline's)`,
  );
  let recordPath;
  if (!profile && withRecordPath) {
    const recordsRun = await runChild(import.meta.url, ['--in-process-child', database, '--path', recordsFile, '--records'], {
      rssDir: work,
    });
    const { seconds } = recordsRun.result;
    recordPath = { seconds, ratio: baseline.seconds / seconds, rssMb: recordsRun.rssMb, cpuSeconds: recordsRun.cpuSeconds };
    console.log(
      `[${label}]   record path:        ${seconds.toFixed(2)} s (${recordsRun.cpuSeconds.toFixed(1)} s CPU), ratio ${recordPath.ratio.toFixed(2)}x, peak RSS ${recordsRun.rssMb.toFixed(0)} MB (no COPY text: every record through the Appender)`,
    );
  }
  const sums = await duckChecksums([
    ['baseline', baseFile, 'payload'],
    ['baselineMinified', baseFile, 'json(payload)'],
    ['mage', mageFile, 'json(payload)'],
    ...(recordPath ? [['mageRecordPath', recordsFile, 'json(payload)']] : []),
  ]);
  for (const file of [baseFile, mageFile, recordsFile]) rmSync(file, { force: true });
  return { baseline, inProcess, recordPath, sums };
}

try {
  if (args.database) {
    console.log(`using ${database} as it is`);
  } else {
    console.log(`creating ${rows.toLocaleString('en')} rows in ${database} …`);
    psql('postgres', `CREATE DATABASE ${database}`);
    psql(database, `CREATE SCHEMA bench_src; ${createMixedTableSql('bench_src.orders')}`);
    insertRows(1, rows);
  }
  if (args['setup-only']) {
    console.log(`created ${database} (kept): run the mage-int child with --in-process-child ${database} --path FILE`);
    rmSync(work, { recursive: true, force: true });
    process.exit(0);
  }
  const sourceSum = psql(database, checksumSql('bench_src.orders', 'payload'));
  if (args.compare) {
    const ab = await compare(args.compare, Number(args.rounds));
    const ok = ab.ok && ab.sums.baseline.sum === sourceSum;
    console.log(JSON.stringify({ rows, compare: args.compare, baseline: ab.baseline, runs: ab.runs, checksumsMatch: ok }));
    if (!ok) process.exitCode = 1;
  } else {
    const first = await measure(`${rows / 1e6}M`, args.profile, true);
    const checks = [first.sums.baseline.sum === sourceSum, first.sums.mage.sum === first.sums.baselineMinified.sum];
    if (first.sums.mageRecordPath) checks.push(first.sums.mageRecordPath.sum === first.sums.baselineMinified.sum);
    console.log(`destination types: ${first.sums.mage.types}`);
    let memory;
    if (args['memory-rows']) {
      const more = Number(args['memory-rows']);
      insertRows(rows + 1, more);
      const grownSum = psql(database, checksumSql('bench_src.orders', 'payload'));
      const second = await measure(`${more / 1e6}M`);
      checks.push(second.sums.baseline.sum === grownSum, second.sums.mage.sum === second.sums.baselineMinified.sum);
      memory = {
        rows: more,
        baseline: second.baseline,
        inProcess: second.inProcess,
        growth: second.inProcess.rssMb / first.inProcess.rssMb,
      };
      console.log(
        `memory ${rows.toLocaleString('en')} → ${more.toLocaleString('en')} rows: ${first.inProcess.rssMb.toFixed(0)} → ${second.inProcess.rssMb.toFixed(0)} MB (${((memory.growth - 1) * 100).toFixed(0)}%)`,
      );
    }
    const ok = checks.every(Boolean);
    console.log(
      `checksums: ${ok ? 'all match' : 'MISMATCH'} ${JSON.stringify({ source: sourceSum, ...Object.fromEntries(Object.entries(first.sums).map(([k, v]) => [k, v.sum])) })}`,
    );
    console.log(
      JSON.stringify({
        rows,
        baseline: first.baseline,
        inProcess: first.inProcess,
        recordPath: first.recordPath,
        ...(memory ? { memory } : {}),
        checksumsMatch: ok,
      }),
    );
    if (!ok) process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep && !args.database) psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}
