#!/usr/bin/env node
// Files → DuckDB benchmark of @mage-int/source-files, run after `npm run build`:
//
//   node bench/files/run.mjs [--rows 1000000] [--keep]
//   node bench/files/run.mjs --memory [--rows 1000000] [--memory-rows 10000000]   (10M rows: a ~1 GB CSV)
//   node bench/files/run.mjs --compare OTHER/dist/index.js [--rounds 2] [--rows 1000000]   (A/B of destination-duckdb)
//   node bench/files/run.mjs --compare-kit OTHER/kits/files/dist/index.js [--rounds 2]   (A/B of the files kit)
//
// Writes a CSV file of `rows` rows (id, a decimal amount, a double, an integer, a timestamptz, a date, a boolean, a
// short code, text with quotes, commas and newlines) and the same rows as Parquet (DuckDB's COPY), then measures in
// the same run, each in a child process of its own so its peak RSS is its own:
//   1. the baselines: DuckDB's own `CREATE TABLE … AS SELECT * FROM read_csv(file)` and `read_parquet(file)`;
//   2. mage-int: runPipeline(source-files → destination-duckdb) of the same file, FULL_TABLE, as `mage-int run` does
//      (printing how many BATCH files the source handed over: 0 means every record went through JavaScript).
// --memory: source-files alone reads the CSV (gzip-free, ~100 bytes a row) of `rows` and then `memory-rows` rows into
// a consumer that drops the records, each in a child process: peak RSS must stay flat as the file grows.
// Prints time, CPU seconds (the steadier figure on a busy machine), throughput ratio (baseline time / mage-int time),
// peak RSS, and checks count and sums of the tables. --compare FILE: after each baseline, this build of
// destination-duckdb and another (its dist/index.js) load the same file in turns, `--rounds` times each;
// --compare-kit FILE: the same with another build of kits/files (source-files' `@mage-int/files` resolved to it; a
// dist/index.js inside a checkout, so that its own imports resolve).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    'memory-rows': { type: 'string', default: '10000000' },
    child: { type: 'string' },
    file: { type: 'string' },
    db: { type: 'string' },
    compare: { type: 'string' },
    'compare-kit': { type: 'string' },
    rounds: { type: 'string', default: '2' },
  },
});

const CHECK = `SELECT count(*) AS n, sum(id)::VARCHAR AS ids, sum(CAST(amount AS DECIMAL(18,2)))::VARCHAR AS amount, sum(qty)::VARCHAR AS qty, count(DISTINCT note) AS notes FROM t`;

async function duck(path) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path);
  return instance.connect();
}

// ---- child modes ----
if (args.child) {
  const started = performance.now();
  let batches = 0;
  if (args.child === 'source-only') {
    const { silentLogger, tuneHeapForStreaming } = await import(join(ROOT, 'core/dist/index.js'));
    tuneHeapForStreaming?.();
    const { LocalStorage, discoverFiles, readFiles } = await import(join(ROOT, 'kits/files/dist/index.js'));
    const dir = join(args.file, '..');
    const config = { streams: [{ name: 't', pattern: args.file.slice(dir.length + 1) }] };
    const storage = new LocalStorage(dir);
    const catalog = await discoverFiles(storage, config, silentLogger);
    let n = 0;
    for await (const m of readFiles(
      storage,
      config,
      catalog,
      { bookmarks: {} },
      { logger: silentLogger, signal: new AbortController().signal },
    ))
      if (m.type === 'RECORD_BATCH') n += m.records.length;
    process.stderr.write(`${n} records\n`);
  } else if (args.child === 'read_csv' || args.child === 'read_parquet') {
    const c = await duck(args.db);
    await c.run(`CREATE TABLE t AS SELECT * FROM ${args.child}('${args.file}')`);
    c.closeSync();
  } else {
    if (process.env.BENCH_FILES_KIT) {
      // Another build of the files kit: source-files' import of it resolves there (before source-files is loaded).
      const { register } = await import('node:module');
      const hook = `export async function resolve(s, c, next) { return s === '@mage-int/files' ? { url: ${JSON.stringify(pathToFileURL(process.env.BENCH_FILES_KIT).href)}, shortCircuit: true } : next(s, c); }`;
      register(`data:text/javascript,${encodeURIComponent(hook)}`);
    }
    const { runPipeline, MemoryStateStore, silentLogger, tuneHeapForStreaming } = await import(join(ROOT, 'core/dist/index.js'));
    tuneHeapForStreaming?.();
    const files = (await import(join(ROOT, 'connectors/source-files/dist/index.js'))).default;
    // Counts the BATCH files the source hands over (none: every record went through JavaScript).
    const source = {
      ...files,
      async *read(...rest) {
        for await (const message of files.read(...rest)) {
          if (message.type === 'BATCH') batches++;
          yield message;
        }
      },
    };
    const destination = (await import(process.env.BENCH_DUCKDB_DESTINATION ?? join(ROOT, 'connectors/destination-duckdb/dist/index.js')))
      .default;
    const dir = join(args.file, '..');
    const name = args.file.slice(dir.length + 1);
    await runPipeline({
      pipelineId: 'bench-files',
      source,
      sourceConfig: { root: dir, streams: [{ name: 't', pattern: name }] },
      destination,
      destinationConfig: { path: args.db },
      streams: { t: { replication_method: 'FULL_TABLE' } },
      stateStore: new MemoryStateStore(),
      logger: silentLogger,
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  const cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(JSON.stringify({ seconds, cpu, rssMB: Math.round(usage.maxRSS / 1024), batches }) + '\n');
  process.exit(0);
}

function child(mode, file, db, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, '--file', file, '--db', db], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`${mode} exited ${code}`)),
    );
  });
}

async function check(db) {
  const c = await duck(db);
  const rows = (await c.runAndReadAll(CHECK)).getRowObjectsJS();
  c.closeSync();
  return JSON.stringify(rows[0], (_, v) => (typeof v === 'bigint' ? String(v) : v));
}

async function writeCsv(file, n) {
  const gen = await duck(':memory:');
  await gen.run(`COPY (SELECT i AS id, CAST(round(random() * 100000, 2) AS DECIMAL(14,2)) AS amount, random() AS ratio, CAST(i % 1000 AS INTEGER) AS qty,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 1000003) AS created_at, 'note "' || (i % 5000) || '", ok' AS note FROM range(1, ${n} + 1) r(i)) TO '${file}' (HEADER)`);
  gen.closeSync();
}

if (args.memory) {
  const dir = mkdtempSync(join(tmpdir(), 'mage-bench-files-mem-'));
  try {
    for (const n of [Number(args.rows), Number(args['memory-rows'])]) {
      const file = join(dir, `rows-${n}.csv`);
      await writeCsv(file, n);
      const run = await child('source-only', file, '');
      console.log(
        `source-files reads ${n.toLocaleString('en')} rows (${(statSync(file).size / 1e6).toFixed(0)} MB CSV): ${run.seconds.toFixed(1)} s, ${run.cpu.toFixed(1)} s CPU, peak RSS ${run.rssMB} MB`,
      );
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

const rows = Number(args.rows);
const dir = mkdtempSync(join(tmpdir(), 'mage-bench-files-'));
try {
  const csv = join(dir, 'orders.csv');
  const parquet = join(dir, 'orders.parquet');
  const gen = await duck(':memory:');
  await gen.run(`CREATE TABLE g AS SELECT i AS id, CAST(round(random() * 100000, 2) AS DECIMAL(14,2)) AS amount, random() AS ratio,
    CAST(i % 1000 AS INTEGER) AS qty, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 1000003) AS created_at,
    DATE '2024-01-01' + CAST(i % 365 AS INTEGER) AS due_date, i % 3 = 0 AS active, 'C' || (i % 97) AS code,
    CASE WHEN i % 10 = 0 THEN 'says "hi", then
leaves' ELSE 'note ' || (i % 5000) END AS note FROM range(1, ${rows} + 1) r(i)`);
  await gen.run(`COPY g TO '${csv}' (HEADER, DELIMITER ',')`);
  await gen.run(`COPY g TO '${parquet}' (FORMAT parquet)`);
  gen.closeSync();
  console.log(`${rows} rows: CSV ${(statSync(csv).size / 1e6).toFixed(1)} MB, Parquet ${(statSync(parquet).size / 1e6).toFixed(1)} MB`);
  for (const [format, file, baselineMode] of [
    ['CSV', csv, 'read_csv'],
    ['Parquet', parquet, 'read_parquet'],
  ]) {
    const baseDb = join(dir, `base-${format}.duckdb`);
    const mageDb = join(dir, `mage-${format}.duckdb`);
    const base = await child(baselineMode, file, baseDb);
    if (args.compare || args['compare-kit']) {
      const expected = await check(baseDb);
      console.log(`${format}: DuckDB ${baselineMode} ${base.seconds.toFixed(2)} s, ${base.cpu.toFixed(1)} s CPU (${base.rssMB} MB)`);
      for (let round = 1; round <= Number(args.rounds); round++) {
        const other = args.compare ? { BENCH_DUCKDB_DESTINATION: args.compare } : { BENCH_FILES_KIT: args['compare-kit'] };
        // Alternated: new first in odd rounds, old first in even ones.
        const pair = [
          ['new', {}],
          ['old', other],
        ];
        for (const [name, env] of round % 2 ? pair : pair.reverse()) {
          const db = join(dir, `${name}-${format}-${round}.duckdb`);
          const run = await child('mage-int', file, db, env);
          const same = (await check(db)) === expected;
          console.log(
            `  [A/B ${round}] ${name}: ${run.seconds.toFixed(2)} s, ${run.cpu.toFixed(1)} s CPU, ${run.rssMB} MB, ${run.batches} BATCH file(s), ratio ${(base.seconds / run.seconds).toFixed(2)}× (CPU ${(base.cpu / run.cpu).toFixed(2)}×), load ${loadavg()[0].toFixed(1)}, checksums ${same ? 'equal' : 'DIFFER'}`,
          );
          rmSync(db, { force: true });
        }
      }
      continue;
    }
    const mage = await child('mage-int', file, mageDb);
    const same = (await check(baseDb)) === (await check(mageDb));
    console.log(
      `${format}: DuckDB ${baselineMode} ${base.seconds.toFixed(2)} s, ${base.cpu.toFixed(1)} s CPU (${base.rssMB} MB) · mage-int source-files → destination-duckdb ${mage.seconds.toFixed(2)} s, ${mage.cpu.toFixed(1)} s CPU (${mage.rssMB} MB, ${Math.round(rows / mage.seconds).toLocaleString('en')} rows/s, ${mage.batches} BATCH file(s)) · ratio ${(base.seconds / mage.seconds).toFixed(2)}× · checksums ${same ? 'equal' : 'DIFFER'}`,
    );
    if (!same) console.log(`  baseline ${await check(baseDb)}\n  mage-int ${await check(mageDb)}`);
  }
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
