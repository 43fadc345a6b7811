import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const database = `mage_cli_discover_${randomBytes(4).toString('hex')}`;
const work = workDir('discover-progress');

async function admin(sql: string): Promise<void> {
  const a = new pg.Client(ADMIN);
  await a.connect();
  try {
    await a.query(sql);
  } finally {
    await a.end();
  }
}

beforeAll(async () => {
  assertBuilt();
  await admin(`CREATE DATABASE ${database}`);
  const client = new pg.Client({ ...ADMIN, database });
  await client.connect();
  await client.query(`DO $$ BEGIN FOR i IN 1..450 LOOP EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY)', i); END LOOP; END $$;`);
  await client.end();
}, 120_000);
afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  work.remove();
});

describe('mage-int discover progress', () => {
  it('prints tables introspected of the total on stderr with --progress plain, and keeps stdout the table', async () => {
    const pipeline = join(work.dir, 'many.yaml');
    writeFileSync(
      pipeline,
      `id: many\nsource:\n  name: postgres\n  config: {host: 127.0.0.1, port: 5432, database: ${database}, username: postgres}\ndestination: {name: duckdb}\n`,
    );
    const result = await runCli(['discover', pipeline, '--progress', 'plain']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('many: discovering: '));
    expect(lines[0]).toBe('many: discovering: 0/450 tables (0%)');
    expect(lines.at(-1)).toMatch(/^many: discovering: 450\/450 tables \(100%\) · public\.t\d+$/);
    const counts = lines.map((l) => Number(/: (\d+)\//.exec(l)?.[1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(result.stdout).toContain('450 streams, 450 selected');
    expect(result.stdout).not.toContain('discovering');

    // Not a terminal and no --progress: nothing but the table.
    const quiet = await runCli(['discover', pipeline]);
    expect(quiet.stderr).not.toContain('discovering');
  });

  it('shows the discovery of `mage-int run` too, before the streams are read', async () => {
    const pipeline = join(work.dir, 'one.yaml');
    writeFileSync(
      pipeline,
      `id: one\nsource:\n  name: postgres\n  config: {host: 127.0.0.1, port: 5432, database: ${database}, username: postgres}\nselect: [t1]\ndestination:\n  name: duckdb\n  config: {path: ${join(work.dir, 'one.duckdb')}}\n`,
    );
    const result = await runCli(['run', pipeline, '--progress', 'plain']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('one: discovering: '));
    expect(lines[0]).toBe('one: discovering: 0/450 tables (0%)');
    expect(lines.at(-1)).toMatch(/^one: discovering: 450\/450 tables \(100%\)/);
  });
});
