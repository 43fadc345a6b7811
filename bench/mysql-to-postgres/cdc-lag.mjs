#!/usr/bin/env node
// Binlog CDC lag of @mage-int/source-mysql into PostgreSQL in follow mode, run after `npm run build`:
//
//   node bench/mysql-to-postgres/cdc-lag.mjs [--rate 2000] [--seconds 20] [--max-lag S]
//
// A LOG_BASED pipeline (runPipeline, follow mode, destination-postgres) runs in a child process while a writer
// inserts `rate` rows a second into MySQL in small transactions, each row stamped with its commit time in MySQL
// (`written_at`, UTC, µs). PostgreSQL stamps each row when it lands (`loaded_at`, a column added with a
// clock_timestamp() default once the destination created the table). Prints the end-to-end lag (loaded_at −
// written_at) p50 / p95 / max over every row, and the rate the writer reached. Same connections as run.mjs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lagFigures, paceWrites, waitFor } from '../lib/cdc-lag.mjs';
import { MY, PG, psql } from '../lib/databases.mjs';
import { ROOT } from '../lib/measure.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '20' },
    // Unset: the pipeline's default max_lag_seconds (what a user gets), printed with the result.
    'max-lag': { type: 'string' },
    child: { type: 'string' },
  },
});

const sourceConfig = (database) => ({ host: MY.host, port: MY.port, username: MY.user, database });
const targetConfig = (database) => ({ host: PG.host, port: PG.port, username: PG.user, database, schema: 'cdc' });

// ---- child mode: the follow-mode pipeline until killed ----
if (args.child) {
  const { runPipeline, silentLogger, tuneHeapForStreaming } = await import('@mage-int/core');
  tuneHeapForStreaming();
  const source = (await import('@mage-int/source-mysql')).default;
  const destination = (await import('@mage-int/destination-postgres')).default;
  await runPipeline({
    pipelineId: `bench-cdc-${args.child}`,
    source,
    sourceConfig: sourceConfig(args.child),
    destination,
    destinationConfig: targetConfig(args.child),
    streams: { ev: { selected: true, replication_method: 'LOG_BASED' } },
    follow: true,
    ...(args['max-lag'] !== undefined ? { maxLagSeconds: Number(args['max-lag']) } : {}),
    logger: silentLogger,
    onProgress: (p) => process.stdout.write(`committed ${p.committedStates}\n`),
  });
  process.exit(0);
}

const rate = Number(args.rate);
const seconds = Number(args.seconds);
const database = `mage_bench_cdc_${process.pid}`;
const mysql = (await import('mysql2/promise')).default;
const admin = await mysql.createConnection({ ...MY });
let child;
try {
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(
    `CREATE TABLE ${database}.ev (id bigint PRIMARY KEY AUTO_INCREMENT, written_at timestamp(6) NOT NULL, payload varchar(64))`,
  );
  psql('postgres', `CREATE DATABASE ${database}`);
  const maxLag = args['max-lag'] !== undefined ? ['--max-lag', args['max-lag']] : [];
  child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', database, ...maxLag], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The snapshot of the empty table creates it in PostgreSQL; then PostgreSQL stamps arrivals.
  await waitFor('the destination table', () => psql(database, `SELECT to_regclass('cdc.ev') IS NOT NULL`) === 't');
  psql(database, `ALTER TABLE cdc.ev ADD COLUMN loaded_at timestamptz DEFAULT clock_timestamp()`);

  const writer = await mysql.createConnection({ ...MY, database });
  await writer.query(`SET time_zone = '+00:00'`);
  const { written, writeRate } = await paceWrites(rate, seconds, (n) =>
    writer.query(`INSERT INTO ev (written_at, payload) VALUES ${Array.from({ length: n }, () => `(NOW(6), 'x')`).join(',')}`),
  );
  await writer.end();
  await waitFor(`${written} rows in PostgreSQL`, () => Number(psql(database, `SELECT count(*) FROM cdc.ev`)) >= written);
  const figures = lagFigures(database, 'cdc.ev', `extract(epoch FROM loaded_at - (written_at AT TIME ZONE 'UTC'))`);
  const lag = [figures.p50, figures.p95, figures.max];
  const result = {
    rows: written,
    writeRate,
    lagSeconds: figures,
    maxLagSetting: args['max-lag'] !== undefined ? Number(args['max-lag']) : 'default',
  };
  console.log(`wrote ${written} rows at ${result.writeRate}/s; end-to-end lag p50 ${lag[0]} s, p95 ${lag[1]} s, max ${lag[2]} s`);
  console.log(JSON.stringify(result));
} finally {
  child?.kill('SIGTERM');
  await admin.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await admin.end();
  await new Promise((r) => setTimeout(r, 500));
  try {
    psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } catch {}
}
