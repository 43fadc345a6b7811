import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, cliEnv, runCli, workDir } from './cli-harness.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const database = `mage_cli_slots_${randomBytes(4).toString('hex')}`;
const role = `mage_cli_low_${randomBytes(4).toString('hex')}`;
const work = workDir('slots');
let client: pg.Client;

async function admin(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const a = new pg.Client(ADMIN);
  await a.connect();
  try {
    return await a.query(sql, params);
  } finally {
    await a.end();
  }
}

/** A pipeline file in the project's pipelines/ directory; `id` is its file name. */
function pipeline(id: string, source: Record<string, unknown>, streams: string): string {
  mkdirSync(join(work.dir, 'pipelines'), { recursive: true });
  const path = join(work.dir, 'pipelines', `${id}.yaml`);
  const config = JSON.stringify({ host: '127.0.0.1', port: 5432, database, username: 'postgres', ...source });
  writeFileSync(
    path,
    `source:\n  name: postgres\n  config: ${config}\nstreams:\n${streams}\ndestination:\n  name: duckdb\n  config: { path: ${id}.duckdb }\n`,
  );
  return path;
}

const cli = (args: string[]) => runCli(args, { cwd: work.dir });

beforeAll(async () => {
  assertBuilt();
  await admin(`CREATE DATABASE ${database}`);
  await admin(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
  client = new pg.Client({ ...ADMIN, database });
  await client.connect();
  await client.query(`
    CREATE TABLE orders (id int PRIMARY KEY, v text);
    INSERT INTO orders SELECT g, 'v' || g FROM generate_series(1, 100) g;
    CREATE TABLE hidden (id int PRIMARY KEY);
    GRANT USAGE ON SCHEMA public TO ${role};
    GRANT SELECT ON orders TO ${role};
  `);
});

afterAll(async () => {
  await client?.end();
  await admin(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [
    database,
  ]);
  await admin(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [database]);
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin(`DROP ROLE IF EXISTS ${role}`);
  work.remove();
});

async function slots(): Promise<string[]> {
  const { rows } = await admin(`SELECT slot_name FROM pg_replication_slots WHERE database = $1 ORDER BY 1`, [database]);
  return rows.map((r) => r.slot_name as string);
}

describe('mage-int slots', () => {
  it('lists the slot a pipeline holds, warns in check when it retains too much WAL, and drops it', async () => {
    const file = pipeline('cdc-orders', {}, '  public-orders: { replication_method: LOG_BASED }');
    const run = await cli(['run', file, '--progress', 'none']);
    expect(run.code, run.stderr).toBe(0);
    expect(await slots()).toHaveLength(1);
    const slot = (await slots())[0]!;
    expect(slot).toMatch(/^mage_int_cdc_orders_[0-9a-f]{8}$/);
    // WAL written after the run is retained by the (now inactive) slot.
    await client.query(`INSERT INTO orders SELECT g, repeat('x', 200) FROM generate_series(1000, 3000) g`);

    const list = await cli(['slots', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/PIPELINE\s+SLOT\s+DATABASE\s+ACTIVE\s+RETAINED WAL\s+LAST ACTIVITY/);
    expect(list.stdout).toMatch(new RegExp(`cdc-orders\\s+${slot}\\s+${database} on 127.0.0.1:5432\\s+no\\s+\\d+(\\.\\d)? (kB|MB)`));
    const json = await cli(['slots', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'ok',
      slots: [{ pipeline: 'cdc-orders', name: slot, active: false, retainedBytes: expect.any(Number) }],
    });

    const quiet = await cli(['check', file]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain('warn');
    const warned = await cli(['check', file, '--slot-wal-limit', '1kB']);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(
      new RegExp(
        `warn\\s+source postgres: replication slot ${slot} .* is inactive and retains .* of WAL \\(limit 1.0 kB\\).*mage-int slots drop`,
      ),
    );

    const refused = await cli(['slots', 'drop', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(await slots()).toEqual([slot]);

    const dropped = await cli(['slots', 'drop', file, '--yes']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toContain(`dropped replication slot ${slot}, publication ${slot}`);
    expect(await slots()).toEqual([]);
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_publication`);
    expect(rows[0]!.n).toBe(0);
    const none = await cli(['slots', 'list']);
    expect(none.stdout).toContain('no replication slots held');
  });
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `input`. */
function onTerminal(args: string[], input: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work.dir, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    if (output.includes('[y/N]') && input) {
      child.stdin.write(input);
      input = '';
    }
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

describe('mage-int slots drop on a terminal', () => {
  it('asks first, and drops only after yes', async () => {
    const file = pipeline('confirm-me', {}, '  public-orders: { replication_method: LOG_BASED }\n  public-hidden: { selected: false }');
    expect((await cli(['run', file, '--progress', 'none'])).code).toBe(0);
    const slot = (await slots()).find((s) => s.startsWith('mage_int_confirm_me_'))!;
    const no = await onTerminal(['slots', 'drop', file], 'n\r');
    expect(no.output).toMatch(
      new RegExp(
        `Drop ${slot} \\(${database} on 127.0.0.1:5432, retaining .* of WAL\\) of pipeline confirm-me\\? .*--full-refresh.* \\[y/N\\]`,
      ),
    );
    expect(no.output).toContain('nothing dropped');
    expect(await slots()).toContain(slot);
    const yes = await onTerminal(['slots', 'drop', file], 'y\r');
    expect(yes.code, yes.output).toBe(0);
    expect(yes.output).toContain(`dropped replication slot ${slot}`);
    expect(await slots()).not.toContain(slot);
  });
});

describe('mage-int check checks what run needs', () => {
  const low = { username: role, password: 'pw' };

  it('fails without SELECT on a selected table, with the message run gives', async () => {
    const file = pipeline('no-select', low, '  public-orders: { selected: false }\n  public-hidden: { replication_method: FULL_TABLE }');
    const check = await cli(['check', file]);
    const run = await cli(['run', file, '--progress', 'none']);
    expect(check.code).toBe(1);
    expect(run.code).toBe(1);
    const message = /error: (.*)/.exec(run.stderr)?.[1];
    expect(message).toContain(`may not read "public"."hidden"`);
    expect(check.stderr).toContain(`FAILED  source postgres: ${message}`);
    expect(check.stderr).toContain('GRANT SELECT ON "public"."hidden"');
  });

  it('fails for LOG_BASED without the REPLICATION attribute, then without a right to create the publication', async () => {
    const file = pipeline(
      'no-replication',
      low,
      '  public-orders: { replication_method: LOG_BASED }\n  public-hidden: { selected: false }',
    );
    const check = await cli(['check', file]);
    const run = await cli(['run', file, '--progress', 'none']);
    expect(check.code).toBe(1);
    const message = /error: (.*)/.exec(run.stderr)?.[1];
    expect(message).toContain('no REPLICATION attribute');
    expect(check.stderr).toContain(`FAILED  source postgres: ${message}`);

    await admin(`ALTER ROLE ${role} WITH REPLICATION`);
    await admin(`REVOKE CREATE ON DATABASE ${database} FROM PUBLIC`);
    const again = await cli(['check', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/publication mage_int_no_replication_[0-9a-f]{8} does not exist and user .* may not create it/);
    const runAgain = await cli(['run', file, '--progress', 'none']);
    expect(runAgain.stderr).toContain(/error: (.*)/.exec(again.stderr.replace('FAILED  source postgres: ', 'error: '))?.[1]);
    expect(await slots()).toEqual([]);
  });

  it('fails for a DuckDB path that cannot be written, with the message run gives', async () => {
    const file = pipeline('unwritable', {}, '  public-orders: { replication_method: FULL_TABLE }\n  public-hidden: { selected: false }');
    writeFileSync(join(work.dir, 'pipelines', 'blocker'), 'a file, not a directory');
    writeFileSync(file, readFileSync(file, 'utf8').replace('path: unwritable.duckdb', 'path: blocker/out.duckdb'));
    const check = await cli(['check', file]);
    const run = await cli(['run', file, '--progress', 'none']);
    expect(check.code).toBe(1);
    expect(run.code).toBe(1);
    const message = /error: (.*)/.exec(run.stderr)?.[1];
    expect(message).toContain('cannot open DuckDB database');
    expect(check.stderr).toContain(`FAILED  destination duckdb: ${message}`);
  });

  it('passes when the user may do everything the run does', async () => {
    const file = pipeline('all-good', {}, '  public-orders: { replication_method: LOG_BASED }');
    const check = await cli(['check', file]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('ok      source postgres');
  });
});
