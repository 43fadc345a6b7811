#!/usr/bin/env node
// PostgreSQL → Parquet on S3 benchmark of @mage-int/destination-s3, run after `npm run build`:
//
//   node bench/files/postgres-to-s3.mjs [--rows 1000000] [--keep]
//
// Creates a scratch PostgreSQL database with the 10-column mixed `orders` table of bench/lib/databases.mjs (numeric,
// float, integer, timestamptz, date, boolean, varchar, text with quotes/newlines/unicode, jsonb), starts s3rver (an S3
// implementation on the local disk; in this process, on 127.0.0.1 at a random port), then runs
// runPipeline(source-postgres → destination-s3, format parquet), as `mage-int run` does, in a child process of its own
// under GNU time: prints rows/s, CPU seconds and the child's peak RSS. There is no baseline ratio (no other tool here
// writes Parquet to S3); as a yardstick it also times `psql COPY … TO STDOUT (FORMAT csv)` of the same table, the
// floor of any reader of it. Then it downloads the objects and checks them with DuckDB against PostgreSQL: row count,
// sum of ids, exact sum of amounts, and that the Parquet column types are exact (DECIMAL(14,2), TIMESTAMPTZ, DATE…).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { createMixedTableSql, insertMixedRowsSql, PG, pgEnv, psqlConnection, psql as psqlAny } from '../lib/databases.mjs';
import { pipelineChild, requireBuilt, ROOT, runChild, timed } from '../lib/measure.mjs';

const BUILT = [
  join(ROOT, 'connectors/source-postgres/dist/index.js'),
  join(ROOT, 'connectors/destination-s3/dist/index.js'),
  join(ROOT, 'kits/files-s3/dist/testing.js'),
];
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
    s3: { type: 'string' },
  },
});
const psql = (database, sql) => psqlAny(database, sql, { utc: true });

// ---- child mode: the in-process pipeline, alone in its process so its peak RSS is its own ----
if (args.child) {
  await pipelineChild('orders', async () => ({
    pipelineId: 'bench-postgres-to-s3',
    source: (await import('@mage-int/source-postgres')).default,
    sourceConfig: { host: PG.host, port: PG.port, username: PG.user, database: args.child, schema: 'bench_src' },
    destination: (await import('@mage-int/destination-s3')).default,
    destinationConfig: { ...JSON.parse(args.s3), prefix: 'bench', format: 'parquet' },
    streams: { orders: { selected: true, replication_method: 'FULL_TABLE' } },
  }));
}

requireBuilt(BUILT);
const rows = Number(args.rows);
const database = `mage_bench_pg_s3_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'mage-bench-pg-s3-'));
const { startS3 } = await import(join(ROOT, 'kits/files-s3/dist/testing.js'));
const { S3Storage } = await import(join(ROOT, 'kits/files-s3/dist/index.js'));
const s3 = await startS3('bench');
try {
  console.log(`creating ${rows.toLocaleString('en')} rows in ${database} …`);
  psql('postgres', `CREATE DATABASE ${database}`);
  psql(database, `CREATE SCHEMA bench_src; ${createMixedTableSql('bench_src.orders')}`);
  psql(database, insertMixedRowsSql('bench_src.orders', 1, rows));
  psql(database, 'VACUUM ANALYZE bench_src.orders');
  const source = psql(database, "SELECT count(*) || '|' || sum(id) || '|' || sum(amount) FROM bench_src.orders");

  const exported = await timed(
    'bash',
    ['-o', 'pipefail', '-c', `psql ${psqlConnection(database)} -c "COPY bench_src.orders TO STDOUT (FORMAT csv)" > /dev/null`],
    { env: pgEnv({ utc: true }), rssDir: work },
  );
  const run = await runChild(import.meta.url, ['--child', database, '--s3', JSON.stringify(s3.settings)], { rssDir: work });
  const { seconds, records } = run.result;

  // The objects, downloaded and read by DuckDB.
  const storage = new S3Storage({ ...s3.settings, prefix: 'bench/' });
  const objects = [];
  for await (const file of storage.list('')) objects.push(file);
  const local = [];
  for (const [i, file] of objects.entries()) {
    const path = join(work, `part-${i}.parquet`);
    writeFileSync(path, Buffer.concat(await (await storage.read(file.key)).toArray()));
    local.push(path);
  }
  await storage.close?.();
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const files = `[${local.map((p) => `'${p}'`).join(', ')}]`;
  const [check] = (
    await c.runAndReadAll(`SELECT count(*) || '|' || sum(id) || '|' || sum(amount) AS s FROM read_parquet(${files})`)
  ).getRowObjectsJS();
  const types = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${files})`))
    .getRowObjectsJS()
    .filter((r) => !String(r.column_name).startsWith('_sdc'))
    .map((r) => `${r.column_name} ${r.column_type}`)
    .join(', ');
  c.closeSync();
  const same = String(check.s) === source;
  const mb = objects.reduce((n, o) => n + o.size, 0) / 1e6;
  console.log(`yardstick: psql COPY (FORMAT csv) of the table ${exported.seconds.toFixed(2)} s (${exported.cpuSeconds.toFixed(1)} s CPU)`);
  console.log(
    `mage-int source-postgres → destination-s3 (Parquet): ${records.toLocaleString('en')} rows in ${seconds.toFixed(2)} s = ${Math.round(records / seconds).toLocaleString('en')} rows/s, ${run.cpuSeconds.toFixed(1)} s CPU, peak RSS ${run.rssMb.toFixed(0)} MB; ${objects.length} object(s), ${mb.toFixed(1)} MB`,
  );
  console.log(`Parquet types: ${types}`);
  console.log(`check (count|sum id|sum amount): PostgreSQL ${source} · Parquet on S3 ${check.s} · ${same ? 'equal' : 'DIFFER'}`);
  console.log(
    JSON.stringify({
      rows,
      seconds,
      rowsPerSecond: records / seconds,
      cpuSeconds: run.cpuSeconds,
      rssMb: run.rssMb,
      objects: objects.length,
      mb,
      same,
    }),
  );
  if (!same) process.exitCode = 1;
} finally {
  await s3.close();
  rmSync(work, { recursive: true, force: true });
  if (!args.keep) psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}
