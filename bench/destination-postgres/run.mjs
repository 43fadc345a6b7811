#!/usr/bin/env node
// PostgreSQL → PostgreSQL full-table benchmark of @mage-int/destination-postgres, run after `npm run build`:
//
//   node bench/destination-postgres/run.mjs [--rows 1000000] [--keep] [--setup-only]
//
// Creates a scratch database with a 10-column mixed table (numeric, float, integer, timestamptz, date, boolean,
// varchar, text with quotes/newlines/unicode, jsonb), then measures in the same run:
//   1. the baseline: `psql -c "COPY … TO STDOUT" | psql -c "COPY … FROM STDIN"` into an identical table, before the
//      first mage-int run and after each (every ratio is against the mean of the two baselines around that run);
//   2. mage-int in process: runPipeline(source-postgres → destination-postgres), in a child process of its own
//      (COPY text passes through: see destination-postgres's README); with a lean JSON reader whose records
//      the destination must encode (its general path); and with source-postgres's COPY text removed (native rows
//      off: the records it decodes, encoded again);
//   3. mage-int as two Singer processes: `source-postgres | destination-postgres`.
// The in-process runs use runPipeline's default read-ahead (bufferRecords 2,000; BENCH_BUFFER_RECORDS overrides) and
// destination-postgres's defaults (BENCH_TARGET_CONFIG, a JSON object, adds settings: '{"batch_size_rows":1000000}';
// BENCH_SOURCE_CONFIG the same for source-postgres: '{"batch_size":500}').
// Prints time, throughput ratio against the baseline (baseline time / mage-int time) and peak RSS, and checks
// that every destination table has the source's checksum. Connection: PGHOST/PGPORT/PGUSER (default
// 127.0.0.1:5432 postgres, trust).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMixedTableSql, insertMixedRowsSql, PG, pgEnv, psql, psqlConnection } from '../lib/databases.mjs';
import { peakRssMb, pipelineChild, requireBuilt, ROOT, runChild, timed, timePrefix } from '../lib/measure.mjs';

const SOURCE_BIN = join(ROOT, 'connectors/source-postgres/dist/bin.js');
const TARGET_BIN = join(ROOT, 'connectors/destination-postgres/dist/bin.js');
const COLUMNS = ['id', 'amount', 'ratio', 'qty', 'created_at', 'due_date', 'active', 'code', 'name', 'payload'];

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    'setup-only': { type: 'boolean', default: false },
    'in-process-child': { type: 'string' },
    reader: { type: 'string', default: 'source-postgres' },
  },
});

function sourceConfig(database) {
  return {
    host: PG.host,
    port: PG.port,
    username: PG.user,
    database,
    schema: 'bench_src',
    ...JSON.parse(process.env.BENCH_SOURCE_CONFIG ?? '{}'),
  };
}

function targetConfig(database, schema) {
  return { host: PG.host, port: PG.port, username: PG.user, database, schema, ...JSON.parse(process.env.BENCH_TARGET_CONFIG ?? '{}') };
}

/**
 * A lean COPY-fed reader Source, to measure the destination with a source that costs next to nothing:
 * `COPY (SELECT row_to_json(t) …) TO STDOUT` in CSV with quote and delimiter characters JSON never holds,
 * so each line is one JSON object, parsed natively. Numbers go through JS doubles, which holds every value
 * of the benchmark table exactly (the checksums prove it); it is no general-purpose source.
 */
async function copyReaderSource() {
  const { default: pg } = await import('pg');
  const { to: copyTo } = await import('pg-copy-streams');
  const { defineSource } = await import('@mage-int/core');
  const stream = {
    tap_stream_id: 'bench_src-src',
    stream: 'src',
    schema: { type: 'object', properties: {} },
    metadata: [{ breadcrumb: [], metadata: { selected: true } }],
  };
  return defineSource({
    kind: 'source',
    name: 'bench-copy-reader',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    discover: async () => ({ streams: [stream] }),
    async *read(config) {
      const client = new pg.Client({ host: config.host, port: config.port, user: config.username, database: config.database });
      await client.connect();
      try {
        const types = await client.query(
          `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'bench_src.src'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        );
        const json = {
          bigint: 'integer',
          integer: 'integer',
          'double precision': 'number',
          boolean: 'boolean',
          jsonb: 'object',
          date: 'string',
          'timestamp with time zone': 'string',
        };
        const properties = Object.fromEntries(
          types.rows.map((r) => [
            r.attname,
            {
              type: r.attname === 'id' ? json[r.type] : ['null', json[r.type] ?? (r.type.startsWith('numeric') ? 'number' : 'string')],
              ...(r.type === 'date' ? { format: 'date' } : r.type.startsWith('timestamp') ? { format: 'date-time' } : {}),
              'sql-datatype': r.type,
            },
          ]),
        );
        yield { type: 'SCHEMA', stream: 'src', schema: { type: 'object', properties }, key_properties: ['id'] };
        const copy = client.query(
          copyTo(`COPY (SELECT row_to_json(t) FROM bench_src.src t) TO STDOUT WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')`),
        );
        const { StringDecoder } = await import('node:string_decoder');
        const decoder = new StringDecoder('utf8');
        let records = [];
        let rest = '';
        for await (const chunk of copy) {
          const lines = (rest + decoder.write(chunk)).split('\n');
          rest = lines.pop();
          for (const line of lines) {
            records.push(JSON.parse(line));
            if (records.length === 5000) {
              yield { type: 'RECORD_BATCH', stream: 'src', records };
              records = [];
            }
          }
        }
        if (records.length > 0) yield { type: 'RECORD_BATCH', stream: 'src', records };
        yield { type: 'STATE', value: { bookmarks: { 'bench_src-src': { done: true } } } };
      } finally {
        await client.end();
      }
    },
  });
}

/** The destination schema of each --reader's in-process run (source-postgres as it is: bench_inproc). */
const READER_SCHEMAS = { 'copy-reader': 'bench_reader', 'source-records': 'bench_records' };

/** source-postgres with its batches' COPY text removed: the destination loads the records it decodes (native rows off). */
function recordsOnly(source) {
  return {
    ...source,
    async *read(...rest) {
      for await (const message of source.read(...rest)) yield message.type === 'RECORD_BATCH' ? { ...message, native: undefined } : message;
    },
  };
}

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args['in-process-child']) {
  const database = args['in-process-child'];
  await pipelineChild('src', async () => ({
    pipelineId: 'bench-destination-postgres',
    source:
      args.reader === 'copy-reader'
        ? await copyReaderSource()
        : args.reader === 'source-records'
          ? recordsOnly((await import('@mage-int/source-postgres')).default)
          : (await import('@mage-int/source-postgres')).default,
    sourceConfig: sourceConfig(database),
    destination: (await import('@mage-int/destination-postgres')).default,
    destinationConfig: targetConfig(database, READER_SCHEMAS[args.reader] ?? 'bench_inproc'),
    streams: { src: { selected: true, replication_method: 'FULL_TABLE' } },
    ...(process.env.BENCH_BUFFER_RECORDS ? { bufferRecords: Number(process.env.BENCH_BUFFER_RECORDS) } : {}),
  }));
}

// ---- the benchmark ----
requireBuilt([SOURCE_BIN, TARGET_BIN]);
const rows = Number(args.rows);
const database = `mage_bench_dpg_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-dpg-'));

function checksum(schema) {
  const cols = COLUMNS.map((c) => `"${c}"`).join(', ');
  return psql(database, `SELECT count(*) || ':' || md5(string_agg(md5(ROW(${cols})::text), '' ORDER BY id)) FROM ${schema}.src`);
}

try {
  console.log(`creating ${rows.toLocaleString('en')} rows in ${database} …`);
  psql('postgres', `CREATE DATABASE ${database}`);
  psql(
    database,
    `CREATE SCHEMA bench_src; ${createMixedTableSql('bench_src.src')} ${insertMixedRowsSql('bench_src.src', 1, rows)}
     CREATE SCHEMA bench_copy; CREATE TABLE bench_copy.src (LIKE bench_src.src INCLUDING ALL);`,
  );
  psql(database, 'VACUUM ANALYZE bench_src.src');
  if (args['setup-only']) {
    console.log(`created ${database} (kept): run children with --in-process-child ${database} [--reader copy-reader|source-records]`);
    rmSync(work, { recursive: true, force: true });
    process.exit(0);
  }
  const sourceSum = checksum('bench_src');

  // The baseline runs before the first mage-int variant and again after each one, into a fresh copy table; each
  // variant's ratio is against the mean of the two baselines around it, so a load that drifts over the minutes of
  // the run moves both sides of the ratio alike.
  const conn = psqlConnection(database);
  const baselines = [];
  const runBaseline = async () => {
    psql(database, 'TRUNCATE bench_copy.src');
    const run = await timed(
      'bash',
      ['-o', 'pipefail', '-c', `psql ${conn} -c "COPY bench_src.src TO STDOUT" | psql ${conn} -c "COPY bench_copy.src FROM STDIN"`],
      { env: pgEnv() },
    );
    baselines.push(run.seconds);
    console.log(`psql COPY pipe:        ${run.seconds.toFixed(2)} s`);
    return run.seconds;
  };
  let before = await runBaseline();
  /** The ratio of a variant that took `seconds`: the baseline around it / its time (and the next baseline taken). */
  const ratioOf = async (seconds) => {
    const after = await runBaseline();
    const ratio = (before + after) / 2 / seconds;
    before = after;
    return ratio;
  };

  // 2. in process
  const { result: inProcess } = await runChild(import.meta.url, ['--in-process-child', database]);
  const inProcessRatio = await ratioOf(inProcess.seconds);
  console.log(
    `mage-int in process:   ${inProcess.seconds.toFixed(2)} s, ratio ${inProcessRatio.toFixed(2)}x, peak RSS ${inProcess.maxRssMb.toFixed(0)} MB`,
  );

  // 2b. in process, with the lean COPY-fed reader instead of source-postgres: records without native rows, so the
  //     destination encodes every value (its general path, as for any other source)
  const { result: lean } = await runChild(import.meta.url, ['--in-process-child', database, '--reader', 'copy-reader']);
  const leanRatio = await ratioOf(lean.seconds);
  console.log(
    `  record path:         ${lean.seconds.toFixed(2)} s, ratio ${leanRatio.toFixed(2)}x, peak RSS ${lean.maxRssMb.toFixed(0)} MB (lean JSON reader, no native rows: the destination encodes every record)`,
  );

  // 2c. in process, source-postgres with its COPY text removed: the records it decodes, encoded again by the destination
  const { result: records } = await runChild(import.meta.url, ['--in-process-child', database, '--reader', 'source-records']);
  const recordsRatio = await ratioOf(records.seconds);
  console.log(
    `  record path:         ${records.seconds.toFixed(2)} s, ratio ${recordsRatio.toFixed(2)}x, peak RSS ${records.maxRssMb.toFixed(0)} MB (source-postgres with native rows off: its records decoded, then encoded)`,
  );

  // 3. two Singer processes
  writeFileSync(join(work, 'source.json'), JSON.stringify(sourceConfig(database)));
  writeFileSync(join(work, 'target.json'), JSON.stringify(targetConfig(database, 'bench_singer')));
  const timeSource = join(work, 'source.rss');
  const timeTarget = join(work, 'target.rss');
  const pipe = `${timePrefix(timeSource)} ${process.execPath} ${SOURCE_BIN} --config ${work}/source.json | ${timePrefix(timeTarget)} ${process.execPath} ${TARGET_BIN} --config ${work}/target.json > ${work}/states.jsonl`;
  const twoProcess = await timed('bash', ['-o', 'pipefail', '-c', pipe], { env: { ...process.env, MAGE_INT_LOG_LEVEL: 'warn' } });
  const twoProcessRatio = await ratioOf(twoProcess.seconds);
  const sourceRss = peakRssMb(timeSource);
  const targetRss = peakRssMb(timeTarget);
  console.log(
    `mage-int two-process:  ${twoProcess.seconds.toFixed(2)} s, ratio ${twoProcessRatio.toFixed(2)}x, peak RSS source ${sourceRss.toFixed(0)} MB, target ${targetRss.toFixed(0)} MB`,
  );

  const sums = {
    source: sourceSum,
    psql: checksum('bench_copy'),
    inProcess: checksum('bench_inproc'),
    leanReader: checksum('bench_reader'),
    sourceRecords: checksum('bench_records'),
    twoProcess: checksum('bench_singer'),
  };
  const ok = Object.values(sums).every((sum) => sum === sourceSum);
  const types = psql(
    database,
    `SELECT string_agg(format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'bench_inproc.src'::regclass AND attnum > 0`,
  );
  console.log(`destination types:     ${types}`);
  console.log(`checksums:             ${ok ? 'all match' : 'MISMATCH'} ${JSON.stringify(sums)}`);
  const result = {
    rows,
    baselineSeconds: baselines,
    inProcess: { seconds: inProcess.seconds, ratio: inProcessRatio, peakRssMb: inProcess.maxRssMb },
    inProcessLeanReader: { seconds: lean.seconds, ratio: leanRatio, peakRssMb: lean.maxRssMb },
    inProcessSourceRecords: { seconds: records.seconds, ratio: recordsRatio, peakRssMb: records.maxRssMb },
    twoProcess: {
      seconds: twoProcess.seconds,
      ratio: twoProcessRatio,
      peakRssMb: { source: sourceRss, target: targetRss },
    },
    checksumsMatch: ok,
  };
  console.log(JSON.stringify(result));
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}
