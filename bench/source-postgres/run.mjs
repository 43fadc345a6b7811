#!/usr/bin/env node
// Benchmark: read 1M rows of a 10-column mixed table with @mage-int/source-postgres (FULL_TABLE, in process,
// no serialisation), against `COPY (SELECT …) TO STDOUT > /dev/null` with psql, measured in the same run.
// Usage (after `npm run build`): node bench/source-postgres/run.mjs [rows]
// Env: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setMetadata, silentLogger } from '@mage-int/core';
import source from '@mage-int/source-postgres';
import pg from 'pg';

const rows = Number(process.argv[2] ?? 1_000_000);
const host = process.env.PGHOST ?? '127.0.0.1';
const port = Number(process.env.PGPORT ?? 5432);
const user = process.env.PGUSER ?? 'postgres';
const password = process.env.PGPASSWORD;
const database = `mage_bench_pg_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ host, port, user, password, database: 'postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);

const COLUMNS = 'id, qty, big, price, ratio, active, name, created_at, day, uid';
try {
  const client = new pg.Client({ host, port, user, password, database });
  client.on('error', () => {});
  await client.connect();
  process.stderr.write(`creating ${rows} rows...\n`);
  await client.query(`
    CREATE TABLE mixed (id bigint PRIMARY KEY, qty integer, big bigint, price numeric(12,2), ratio double precision,
      active boolean, name text, created_at timestamptz, day date, uid uuid);
    INSERT INTO mixed SELECT g, g % 1000, g::bigint * 1000003, (g % 100000) / 100.0, g / 7.0, g % 2 = 0, 'customer name ' || g,
      '2024-01-01'::timestamptz + g * interval '1 second', '2020-01-01'::date + (g % 2000), md5(g::text)::uuid
    FROM generate_series(1, ${rows}) g;`);
  await client.query('VACUUM ANALYZE mixed');
  await client.end();

  const config = { host, port, database, username: user, ...(password ? { password } : {}), schema: 'public' };
  const ctx = { logger: silentLogger, signal: new AbortController().signal };
  const catalog = await source.discover(config, ctx);
  for (const stream of catalog.streams) setMetadata(stream, [], { selected: true, 'replication-method': 'FULL_TABLE' });

  const baseline = () => {
    const started = process.hrtime.bigint();
    const result = spawnSync(
      'psql',
      [
        '-h',
        host,
        '-p',
        String(port),
        '-U',
        user,
        '-d',
        database,
        '-X',
        '-q',
        '-c',
        `COPY (SELECT ${COLUMNS} FROM mixed ORDER BY id) TO STDOUT`,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
      },
    );
    if (result.status !== 0) throw new Error('psql COPY failed');
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  const ours = async () => {
    const started = process.hrtime.bigint();
    let count = 0;
    for await (const message of source.read(config, catalog, { bookmarks: {} }, ctx))
      if (message.type === 'RECORD_BATCH') count += message.records.length;
    if (count !== rows) throw new Error(`read ${count} rows, expected ${rows}`);
    return Number(process.hrtime.bigint() - started) / 1e9;
  };

  // Warm the cache once, then alternate and keep the best of two of each.
  baseline();
  const times = { copy: Infinity, source: Infinity };
  for (let i = 0; i < 2; i++) {
    times.copy = Math.min(times.copy, baseline());
    times.source = Math.min(times.source, await ours());
  }
  const rate = (t) => Math.round(rows / t).toLocaleString('en-US');
  console.log(
    `rows: ${rows.toLocaleString('en-US')} (10 columns: bigint, int, bigint, numeric(12,2), double, boolean, text, timestamptz, date, uuid)`,
  );
  console.log(`psql COPY (SELECT …) TO STDOUT > /dev/null: ${times.copy.toFixed(2)} s, ${rate(times.copy)} rows/s`);
  console.log(`@mage-int/source-postgres FULL_TABLE read:   ${times.source.toFixed(2)} s, ${rate(times.source)} rows/s`);
  console.log(`ratio (source / COPY throughput): ${(times.copy / times.source).toFixed(2)}x (goal >= 0.5x)`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
