import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, collect, connectorBuilt, startCli, workDir } from './cli-harness.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const name = `mage_cli_follow_${randomBytes(5).toString('hex')}`;
const work = workDir('follow');
let client: pg.Client;

beforeAll(async () => {
  assertBuilt();
  for (const connector of ['source-postgres', 'destination-postgres'])
    if (!connectorBuilt(connector)) throw new Error(`build ${connector} first (npm run build)`);
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  client = new pg.Client({ ...ADMIN, database: name });
  await client.connect();
});

afterAll(async () => {
  await client?.end().catch(() => {});
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  try {
    // A walsender that was just told to stop may hold its slot a moment longer: try a few times.
    for (let attempt = 0; attempt < 20; attempt++) {
      await admin.query(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`,
        [name],
      );
      await new Promise((r) => setTimeout(r, 100));
      const dropped = await admin
        .query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [name])
        .then(
          () => true,
          () => false,
        );
      const left = await admin.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1`, [name]);
      if (dropped && left.rowCount === 0) break;
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  work.remove();
});

/**
 * When the server's walsender has sent everything up to `lsn` to the run's replication connection. Logical decoding
 * reads the whole cluster's WAL, so other databases' bulk loads (other test files, benchmarks) can delay it: the time
 * the run itself adds is measured from here.
 */
async function sentAt(lsn: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const { rows } = await client.query(
      `SELECT r.sent_lsn >= $2::pg_lsn AS sent FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.database = $1`,
      [name, lsn],
    );
    if (rows[0]?.sent) return Date.now();
    await sleep(20);
  }
  throw new Error(`the server did not send the change (${lsn}) within ${timeoutMs} ms`);
}

/** Polls until `loaded.items` holds a row with this id; returns how long that took. */
async function waitForRow(id: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const found = await client.query(`SELECT 1 FROM loaded.items WHERE id = $1`, [id]).catch(() => ({ rowCount: 0 }));
    if (found.rowCount) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`row ${id} did not reach the destination within ${timeoutMs} ms`);
}

describe('mage-int run --follow: PostgreSQL LOG_BASED → PostgreSQL', () => {
  it('puts a new row in the destination within ~3 s (max_lag_seconds), then stops cleanly on Ctrl-C', async () => {
    await client.query(`CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one'), (2, 'two')`);
    const pipeline = join(work.dir, 'follow.yaml');
    // The destination's own age limit is ten minutes: follow mode must not wait for it.
    writeFileSync(
      pipeline,
      `max_lag_seconds: 0.5
source:
  name: postgres
  config: { host: 127.0.0.1, database: ${name}, username: postgres }
select: [public-items]
streams:
  public-items: { replication_method: LOG_BASED }
destination:
  name: postgres
  config: { host: 127.0.0.1, database: ${name}, username: postgres, schema: loaded, batch_max_age_seconds: 600 }
`,
    );
    const child = startCli(['run', pipeline, '--follow', '--progress', 'none'], { cwd: work.dir });
    const finished = collect(child, 90_000);
    try {
      await waitForRow(2, 30_000); // the snapshot
      const insertedAt = Date.now();
      await client.query(`INSERT INTO items VALUES (3, 'three')`);
      const lsn = (await client.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn as string;
      const [sent, visible] = await Promise.all([sentAt(lsn, 60_000), waitForRow(3, 60_000).then(() => Date.now())]);
      // The source passes a change on within a second, the destination commits it within max_lag_seconds (0.5 s).
      const lag = visible - Math.min(sent, visible);
      if (lag >= 3_000) console.log(`row 3: sent by the server after ${sent - insertedAt} ms, in the destination ${lag} ms later`);
      expect(lag).toBeLessThan(3_000);
      // And it keeps following (no latency asserted here: other writers of the server can slow logical decoding).
      await client.query(`UPDATE items SET name = 'ONE' WHERE id = 1; INSERT INTO items VALUES (4, 'four')`);
      await waitForRow(4, 20_000);
      expect((await client.query(`SELECT name FROM loaded.items WHERE id = 1`)).rows[0]?.name).toBe('ONE');
    } finally {
      child.kill('SIGINT');
    }
    const result = await finished;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('run interrupted');
    const state = JSON.parse(readFileSync(join(work.dir, '.mage-int', 'state', 'follow.json'), 'utf8')) as {
      bookmarks: Record<string, { lsn?: string }>;
    };
    expect(state.bookmarks['public-items']?.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // The run let go of its replication slot (and its lock) on the way out.
    const slots = await client.query(`SELECT active FROM pg_replication_slots WHERE database = $1`, [name]);
    expect(slots.rows.every((r: { active: boolean }) => !r.active)).toBe(true);
  });
});
