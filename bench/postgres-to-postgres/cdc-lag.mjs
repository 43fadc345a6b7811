#!/usr/bin/env node
// Logical-replication CDC lag of @mage-int/source-postgres into PostgreSQL in follow mode, run after `npm run build`:
//
//   node bench/postgres-to-postgres/cdc-lag.mjs [--rate 2000] [--seconds 60] [--max-lag S]
//
// A LOG_BASED pipeline (runPipeline, follow mode, destination-postgres) runs in a child process while a writer
// inserts `rate` rows a second into a source database in 100 transactions a second, each row stamped by PostgreSQL
// when it is written (`written_at`, clock_timestamp()). The destination database stamps each row when it lands
// (`loaded_at`, a column added with a clock_timestamp() default once the destination created the table): one server,
// one clock. Prints the end-to-end lag (loaded_at − written_at) p50 / p95 / max over every row, the rate the writer
// reached, and the load average before and after. The child's own memory and CPU are printed too.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { lagFigures, paceWrites, waitFor } from '../lib/cdc-lag.mjs';
import { PG, psql } from '../lib/databases.mjs';
import { ROOT } from '../lib/measure.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '60' },
    // Unset: the pipeline's default max_lag_seconds (what a user gets).
    'max-lag': { type: 'string' },
    child: { type: 'string' },
  },
});

const sourceConfig = (database) => ({ host: PG.host, port: PG.port, username: PG.user, database, schema: 'public' });
const targetConfig = (database) => ({ host: PG.host, port: PG.port, username: PG.user, database: `${database}_dst`, schema: 'cdc' });

// ---- child mode: the follow-mode pipeline until SIGTERM ----
if (args.child) {
  const { runPipeline, silentLogger, tuneHeapForStreaming } = await import('@mage-int/core');
  tuneHeapForStreaming();
  const source = (await import('@mage-int/source-postgres')).default;
  const destination = (await import('@mage-int/destination-postgres')).default;
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort(new Error('SIGTERM')));
  await runPipeline({
    pipelineId: `bench-pgcdc-${process.pid}`,
    source,
    sourceConfig: sourceConfig(args.child),
    destination,
    destinationConfig: targetConfig(args.child),
    streams: { 'public-ev': { selected: true, replication_method: 'LOG_BASED' } },
    follow: true,
    ...(args['max-lag'] !== undefined ? { maxLagSeconds: Number(args['max-lag']) } : {}),
    logger: silentLogger,
    signal: controller.signal,
  }).catch((error) => {
    if (!controller.signal.aborted) throw error;
  });
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssMB: Math.round(usage.maxRSS / 1024) })}\n`,
  );
  process.exit(0);
}

const rate = Number(args.rate);
const seconds = Number(args.seconds);
const database = `mage_bench_pgcdc_${process.pid}`;
const loadBefore = loadavg().map((l) => l.toFixed(2));
let child;
let childOutput = '';
try {
  psql('postgres', `CREATE DATABASE ${database}`);
  psql('postgres', `CREATE DATABASE ${database}_dst`);
  psql(database, `CREATE TABLE ev (id bigserial PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), payload text)`);
  const maxLag = args['max-lag'] !== undefined ? ['--max-lag', args['max-lag']] : [];
  child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', database, ...maxLag], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (chunk) => (childOutput += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // The snapshot of the empty table creates it in the destination; from then on the destination stamps arrivals.
  await waitFor('the destination table', () => psql(`${database}_dst`, `SELECT to_regclass('cdc.ev') IS NOT NULL`) === 't');
  psql(`${database}_dst`, `ALTER TABLE cdc.ev ADD COLUMN loaded_at timestamptz DEFAULT clock_timestamp()`);
  // The slot is streaming once the reader is attached.
  await waitFor(
    'the replication reader',
    () => psql('postgres', `SELECT count(*) FROM pg_replication_slots WHERE database = '${database}' AND active`) === '1',
  );

  const writer = new pg.Client({ host: PG.host, port: PG.port, user: PG.user, database });
  await writer.connect();
  const { written, writeRate } = await paceWrites(rate, seconds, (n) =>
    writer.query(`INSERT INTO ev (payload) SELECT 'x' FROM generate_series(1, ${n})`),
  );
  await writer.end();
  await waitFor(`${written} rows in the destination`, () => Number(psql(`${database}_dst`, `SELECT count(*) FROM cdc.ev`)) >= written, 120);
  const lag = lagFigures(`${database}_dst`, 'cdc.ev', `extract(epoch FROM loaded_at - written_at)`);
  child.kill('SIGTERM');
  await exited;
  const result = {
    rows: written,
    writeRate,
    lagSeconds: lag,
    maxLagSetting: args['max-lag'] !== undefined ? Number(args['max-lag']) : 'default',
    pipeline: JSON.parse(childOutput.trim().split('\n').pop() || '{}'),
    loadAverage: { before: loadBefore, after: loadavg().map((l) => l.toFixed(2)) },
  };
  console.log(
    `wrote ${written} rows at ${writeRate}/s for ${seconds} s; end-to-end lag p50 ${lag.p50} s, p95 ${lag.p95} s, max ${lag.max} s (max_lag_seconds ${args['max-lag'] ?? 'default'})`,
  );
  console.log(JSON.stringify(result));
} finally {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  try {
    psql(
      'postgres',
      `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '${database}' AND active_pid IS NOT NULL`,
    );
    await new Promise((r) => setTimeout(r, 300));
    psql('postgres', `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '${database}'`);
  } catch {}
  for (const name of [database, `${database}_dst`]) {
    try {
      psql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch {}
  }
}
