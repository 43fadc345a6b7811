#!/usr/bin/env node
// source-faker → PostgreSQL benchmark (issue 20's "any source into PostgreSQL"), run after `npm run build`:
//
//   node bench/faker-to-postgres/run.mjs [--rows 1000000] [--rounds 1] [--memory-rows 4000000] [--profile DIR] [--keep]
//
// Measures in the same run, against a scratch database, in each round: mage-int, the baseline, mage-int again, the
// baseline again (the ratio is mean baseline / mean mage-int, so load that drifts during the round hits both):
//   - mage-int in process: runPipeline(source-faker orders → destination-postgres), FULL_TABLE, in a child process
//     of its own (records all the way: no source database text to pass through);
//   - the baseline: the same orders, written beforehand by this script as a COPY text file (not timed), loaded with
//     `psql -c "COPY … FROM STDIN" < file` into a table of the same definition as the one mage-int created.
// Prints time, ratio (baseline time / mage-int time), peak RSS and CPU seconds of each side, and checks that both
// tables hold the same rows (count and an md5 over every row's ten fields). With --memory-rows, mage-int runs
// again at that size (no baseline) to show whether its peak RSS stays flat. With --profile DIR, the mage-int child
// writes a V8 CPU profile there. BENCH_BUFFER_RECORDS sets the pipeline's read-ahead (`buffer_records`). Connection: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432 postgres, trust).
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PG, pgEnv, psql, psqlConnection } from '../lib/databases.mjs';
import { pipelineChild, requireBuilt, ROOT, runChild, timed } from '../lib/measure.mjs';

const FIELDS = [
  'id',
  'customer_id',
  'product_id',
  'quantity',
  'unit_price',
  'amount',
  'status',
  'payment_method',
  'created_at',
  'updated_at',
];
const FAKER = { seed: 42, customers: 1000, products: 100 };

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '1' },
    'memory-rows': { type: 'string' },
    profile: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'in-process-child': { type: 'string' },
    schema: { type: 'string' },
  },
});

function targetConfig(database, schema) {
  return { host: PG.host, port: PG.port, username: PG.user, database, schema };
}

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  await pipelineChild('orders', async () => ({
    pipelineId: 'bench-faker-to-postgres',
    source: (await import('@mage-int/source-faker')).default,
    sourceConfig: { ...FAKER, orders: Number(args.rows) },
    destination: (await import('@mage-int/destination-postgres')).default,
    destinationConfig: targetConfig(args['in-process-child'], args.schema),
    only: ['orders'],
    streams: { orders: { selected: true, replication_method: 'FULL_TABLE' } },
    ...(process.env.BENCH_BUFFER_RECORDS ? { bufferRecords: Number(process.env.BENCH_BUFFER_RECORDS) } : {}),
  }));
}

/** The orders as COPY text, straight from the faker's generator (its values need no escaping). */
async function writeCopyFile(path, rows) {
  const { createStreams, settingsFrom } = await import('@mage-int/source-faker');
  const orders = createStreams(settingsFrom({ ...FAKER, orders: rows })).orders;
  const fd = openSync(path, 'w');
  let text = '';
  for (let id = 1; id <= rows; id++) {
    const r = orders.record(id);
    text += `${FIELDS.map((f) => String(r[f])).join('\t')}\n`;
    if (text.length > 1 << 20) {
      writeSync(fd, text);
      text = '';
    }
  }
  writeSync(fd, text);
  closeSync(fd);
}

// ---- the benchmark ----
requireBuilt([join(ROOT, 'connectors/source-faker/dist/index.js'), join(ROOT, 'connectors/destination-postgres/dist/index.js')]);
const rows = Number(args.rows);
const database = `mage_bench_fpg_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-fpg-'));
const file = join(work, 'orders.copy');
const childArgs = (schema, n) => ['--in-process-child', database, '--schema', schema, '--rows', String(n)];
const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];

function checksum(schema) {
  const cols = FIELDS.map((c) => `"${c}"`).join(', ');
  return psql(database, `SELECT count(*) || ':' || md5(string_agg(md5(ROW(${cols})::text), '' ORDER BY id)) FROM ${schema}.orders`, {
    utc: true,
  });
}

try {
  psql('postgres', `CREATE DATABASE ${database}`);
  console.log(`writing ${rows.toLocaleString('en')} faker orders as COPY text …`);
  await writeCopyFile(file, rows);
  const results = [];
  for (let round = 1; round <= Number(args.rounds); round++) {
    const schema = `bench_mage_${round}`;
    const copySchema = `bench_copy_${round}`;
    // mage-int, the baseline, mage-int again, the baseline again (its table emptied in between): means of each.
    const mage = await runChild(import.meta.url, childArgs(schema, rows), { rssDir: work, nodeArgs });
    // The baseline table: the definition mage-int created (types, key, its metadata columns), empty.
    psql(database, `CREATE SCHEMA ${copySchema}; CREATE TABLE ${copySchema}.orders (LIKE ${schema}.orders INCLUDING ALL);`);
    const conn = psqlConnection(database);
    const copyFrom = () =>
      timed('bash', ['-o', 'pipefail', '-c', `psql ${conn} -c "COPY ${copySchema}.orders (${FIELDS.join(', ')}) FROM STDIN" < ${file}`], {
        env: pgEnv({ utc: true }),
        rssDir: work,
      });
    const first = await copyFrom();
    psql(database, `TRUNCATE ${copySchema}.orders`);
    const mageAgain = await runChild(import.meta.url, childArgs(`${schema}_b`, rows), { rssDir: work, nodeArgs });
    const second = await copyFrom();
    const baseline = { seconds: (first.seconds + second.seconds) / 2 };
    console.log(
      `round ${round}: COPY FROM file ${first.seconds.toFixed(2)} s, ${second.seconds.toFixed(2)} s | mage-int ${mage.result.seconds.toFixed(2)} s, ${mageAgain.result.seconds.toFixed(2)} s`,
    );
    mage.result.seconds = (mage.result.seconds + mageAgain.result.seconds) / 2;
    mage.rssMb = Math.max(mage.rssMb, mageAgain.rssMb);
    mage.cpuSeconds = (mage.cpuSeconds + mageAgain.cpuSeconds) / 2;
    const ratio = baseline.seconds / mage.result.seconds;
    const sums = { baseline: checksum(copySchema), mageInt: checksum(schema), mageIntAgain: checksum(`${schema}_b`) };
    const ok = sums.baseline === sums.mageInt && sums.baseline === sums.mageIntAgain && sums.baseline.startsWith(`${rows}:`);
    console.log(
      `round ${round}: mean COPY FROM file ${baseline.seconds.toFixed(2)} s | mean mage-int ${mage.result.seconds.toFixed(2)} s, ratio ${ratio.toFixed(2)}x, peak RSS ${mage.rssMb.toFixed(0)} MB, CPU ${mage.cpuSeconds.toFixed(1)} s | checksums ${ok ? 'match' : `MISMATCH ${JSON.stringify(sums)}`}`,
    );
    results.push({
      baselineSeconds: baseline.seconds,
      mageSeconds: mage.result.seconds,
      ratio,
      peakRssMb: mage.rssMb,
      cpuSeconds: mage.cpuSeconds,
      checksumsMatch: ok,
    });
    if (!ok) process.exitCode = 1;
    psql(database, `DROP SCHEMA ${schema} CASCADE; DROP SCHEMA ${schema}_b CASCADE; DROP SCHEMA ${copySchema} CASCADE;`);
  }
  let memory;
  if (args['memory-rows']) {
    const n = Number(args['memory-rows']);
    const big = await runChild(import.meta.url, childArgs('bench_memory', n), { rssDir: work });
    memory = { rows: n, seconds: big.result.seconds, peakRssMb: big.rssMb, cpuSeconds: big.cpuSeconds };
    console.log(
      `memory: ${n.toLocaleString('en')} orders in ${big.result.seconds.toFixed(2)} s, peak RSS ${big.rssMb.toFixed(0)} MB, CPU ${big.cpuSeconds.toFixed(1)} s`,
    );
  }
  console.log(JSON.stringify({ rows, rounds: results, memory }));
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}
