import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, WORKSPACE } from './cli-harness.js';

const sh = promisify(execFile);
const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const schema = `mage_bins_${randomBytes(4).toString('hex')}`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client(ADMIN);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The README's "runs standalone as a Singer executable" commands, run as written in the checkout after `npm run build`. */
describe("connectors' Singer executables in the checkout", () => {
  // In the checkout but outside every workspace package (the root's tmp/, git-ignored): inside a package, npx would
  // run the command from that package's folder.
  mkdirSync(join(WORKSPACE, 'tmp'), { recursive: true });
  const work = {
    dir: mkdtempSync(join(WORKSPACE, 'tmp', 'bins-')),
    remove() {
      rmSync(this.dir, { recursive: true, force: true });
      if (readdirSync(join(WORKSPACE, 'tmp')).length === 0) rmSync(join(WORKSPACE, 'tmp'), { recursive: true, force: true });
    },
  };
  // Offline: a bin missing from node_modules/.bin must fail here, not be fetched from the public registry.
  const run = (command: string) =>
    sh('sh', ['-c', command], { cwd: work.dir, env: cliEnv({ npm_config_offline: 'true', npm_config_update_notifier: 'false' }) });
  const file = (name: string, value: unknown) => writeFileSync(join(work.dir, name), JSON.stringify(value));

  beforeAll(async () => {
    assertBuilt();
    await admin(
      `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.orders (id int PRIMARY KEY, total numeric(10,2)); INSERT INTO ${schema}.orders VALUES (1, 9.99), (2, 120.00)`,
    );
  });
  afterAll(async () => {
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    work.remove();
  });

  it('every connector bin is linked into node_modules/.bin, executable, with a node shebang', () => {
    const connectors = readdirSync(join(WORKSPACE, 'connectors'));
    expect(connectors.length).toBeGreaterThan(0);
    for (const name of connectors) {
      const pkg = JSON.parse(readFileSync(join(WORKSPACE, 'connectors', name, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
      for (const [bin, target] of Object.entries(pkg.bin ?? {})) {
        const linked = join(WORKSPACE, 'node_modules', '.bin', bin);
        expect(realpathSync(linked), bin).toBe(realpathSync(join(WORKSPACE, 'connectors', name, target)));
        expect(() => accessSync(linked, constants.X_OK), `${bin} is not executable`).not.toThrow();
        expect(readFileSync(linked, 'utf8').split('\n')[0], bin).toBe('#!/usr/bin/env node');
      }
    }
  });

  it('npx source-postgres --discover, then --catalog piped into npx destination-jsonl', async () => {
    file('pg.json', { host: '127.0.0.1', username: 'postgres', database: 'postgres', schema });
    file('jsonl.json', { destination_path: join(work.dir, 'pg-out') });
    await run('npx source-postgres --config pg.json --discover > catalog.json');
    const catalog = JSON.parse(readFileSync(join(work.dir, 'catalog.json'), 'utf8')) as { streams: { tap_stream_id: string }[] };
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual([`${schema}-orders`]);
    const { stdout } = await run('npx source-postgres --config pg.json --catalog catalog.json | npx destination-jsonl --config jsonl.json');
    expect(stdout).toContain(`"${schema}-orders"`);
    const rows = readFileSync(join(work.dir, 'pg-out', 'orders.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((r) => r['id'])).toEqual([1, 2]);
  });

  it('npx source-faker piped into npx destination-jsonl', async () => {
    file('faker.json', { seed: 1, customers: 20, products: 5, orders: 50 });
    file('faker-jsonl.json', { destination_path: join(work.dir, 'faker-out') });
    await run('npx source-faker --config faker.json | npx destination-jsonl --config faker-jsonl.json');
    const lines = (name: string) =>
      readFileSync(join(work.dir, 'faker-out', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n').length;
    expect({ customers: lines('customers'), products: lines('products'), orders: lines('orders') }).toEqual({
      customers: 20,
      products: 5,
      orders: 50,
    });
  });
});
