import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, collect, runCli, startCli, workDir } from './cli-harness.js';
import { tableCounts } from './duckdb-query.js';

const work = workDir('commands');
const write = (name: string, text: string) => {
  const path = join(work.dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => assertBuilt());
afterAll(() => work.remove());

describe('mage-int discover', () => {
  it("prints the streams with keys, replication methods and the file's selection", async () => {
    const pipeline = write(
      'discover.yaml',
      'source:\n  name: faker\n  config: { customers: 5 }\nstreams:\n  products: { selected: false }\n  orders: { replication_method: INCREMENTAL, replication_key: updated_at, fields: [id, status] }\ndestination:\n  name: not-needed-for-discover\n',
    );
    const result = await runCli(['discover', pipeline]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^STREAM\s+SELECTED\s+KEY\s+REPLICATION\s+REPLICATION KEY\s+FIELDS$/);
    expect(lines.find((l) => l.startsWith('customers'))).toMatch(
      /^customers\s+yes\s+id\s+FULL_TABLE\s+- \(valid: updated_at, created_at\)\s+10\/10$/,
    );
    expect(lines.find((l) => l.startsWith('products'))).toMatch(/^products\s+no\s+id\s+FULL_TABLE\s+.*-\/9$/);
    expect(lines.find((l) => l.startsWith('orders'))).toMatch(/^orders\s+yes\s+id\s+INCREMENTAL\s+updated_at\s+3\/10$/);
    expect(result.stdout).toContain('3 streams, 2 selected');
  });

  it('prints the Singer catalog with --json', async () => {
    const pipeline = write('discover-json.yaml', 'source: {name: faker}\ndestination: {name: duckdb}\n');
    const result = await runCli(['discover', pipeline, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const catalog = JSON.parse(result.stdout) as {
      streams: { tap_stream_id: string; schema: { properties: object }; metadata: unknown[] }[];
    };
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(['customers', 'products', 'orders']);
    expect(Object.keys(catalog.streams[0]?.schema.properties ?? {})).toContain('email');
    expect(catalog.streams[0]?.metadata.length).toBeGreaterThan(1);
  });
});

describe('mage-int check', () => {
  it('reports both ends ok (exit 0)', async () => {
    const pipeline = write('check-ok.yaml', 'source: {name: faker}\ndestination: {name: duckdb, config: {path: check.duckdb}}\n');
    const result = await runCli(['check', pipeline]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok\s+source faker: generates/m);
    expect(result.stdout).toMatch(/^ok\s+destination duckdb: DuckDB v[\d.]+ at .*check\.duckdb/m);
  });

  it('reports a destination that cannot be opened (exit 1), still checking the source', async () => {
    const pipeline = write(
      'check-fail.yaml',
      'source: {name: faker}\ndestination: {name: duckdb, config: {path: check-fail.yaml/x.duckdb}}\n',
    );
    const result = await runCli(['check', pipeline]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ok\s+source faker/m);
    expect(result.stderr).toMatch(/^FAILED\s+destination duckdb: cannot open DuckDB database/m);
    const json = await runCli(['check', pipeline, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'failed',
      checks: [
        { end: 'source', ok: true },
        { end: 'destination', ok: false },
      ],
    });
  });

  it('reports a config error (exit 2) and a connector that is not installed, naming the field', async () => {
    const pipeline = write('check-config.yaml', 'source: {name: faker, config: {orders: -1}}\ndestination: {name: nowhere}\n');
    const result = await runCli(['check', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'FAILED  source faker: field "orders": invalid config for source faker: "orders" must be >= 0 (got -1)',
    );
    expect(result.stderr).toContain('destination nowhere: no destination connector "nowhere" is installed');
    expect(result.stderr).toContain('run `mage-int add destination-nowhere`');
  });
});

describe('secrets', () => {
  it('never prints a secret config value, in errors, logs, JSON or debug output', async () => {
    const secret = 'Sup3r-S3cret-Pw';
    // The password also sits in a non-secret field, so the connector's own error message would carry it.
    const pipeline = write(
      'secret.yaml',
      'source:\n  name: postgres\n  config: { host: 127.0.0.1, port: 1, database: "${MAGE_INT_TEST_PW}", username: postgres, password: "${MAGE_INT_TEST_PW}", connect_timeout_seconds: 2 }\ndestination:\n  name: duckdb\n  config: { path: secret.duckdb }\n',
    );
    for (const args of [
      ['check', pipeline],
      ['discover', pipeline],
      ['run', pipeline, '--json'],
      ['run', pipeline, '--debug', '--log-level', 'debug'],
    ]) {
      const result = await runCli(args, { env: { MAGE_INT_TEST_PW: secret } });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout + result.stderr, args.join(' ')).toContain('***');
      expect(result.stdout + result.stderr, args.join(' ')).not.toContain(secret);
    }
  });
});

describe('Ctrl-C', () => {
  it('stops a run cleanly on SIGINT (exit 130), keeping a committed state the next run resumes from', async () => {
    const pipeline = write(
      'interrupt.yaml',
      'source:\n  name: faker\n  config: { customers: 10, products: 10, orders: 400000, batch_size: 1000 }\ndestination:\n  name: duckdb\n  config: { path: interrupt.duckdb, batch_size_rows: 5000 }\n',
    );
    const stateFile = join(work.dir, '.mage-int', 'state', 'interrupt.json');
    const child = startCli(['run', pipeline, '--progress', 'plain', '--progress-interval', '1']);
    const done = collect(child, 120_000);
    let exited = false;
    void done.then(() => (exited = true));
    let progress = '';
    child.stderr?.on('data', (chunk: string) => (progress += chunk));
    // Interrupt once a state is saved and a periodic progress line has been printed.
    while (!exited && !(existsSync(stateFile) && /^interrupt: \d.* orders [\d,]+ rows/m.test(progress))) await sleep(10);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(
      /^interrupt: [\d.]+m?s · customers 10 rows \([\d,-]+ rows\/s\) · products 10 rows \(.*\) · orders [\d,]+ rows \([\d,]+ rows\/s\) · \d+ states? committed$/m,
    );
    expect(result.stderr).toContain('Ctrl-C: stopping');
    expect(result.stderr).toContain('error: run interrupted');
    expect(result.stderr).toContain(`hint: the state of the last commit is saved in ${stateFile}; run again to resume`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { bookmarks: { orders?: { last_pk_fetched?: { id: number } } } };
    const resumedFrom = saved.bookmarks.orders?.last_pk_fetched?.id ?? 0;
    expect((await tableCounts(join(work.dir, 'interrupt.duckdb'), ['orders'])).orders?.distinct).toBeGreaterThanOrEqual(resumedFrom);

    const again = await runCli(['run', pipeline, '--json', '--streams', 'orders'], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ totalRows: 400000 - resumedFrom });
    expect((await tableCounts(join(work.dir, 'interrupt.duckdb'), ['orders'])).orders).toEqual({ rows: 400000, distinct: 400000 });
  }, 240_000);
});

describe('init, then run the starter pipeline', () => {
  it('runs the example pipeline of a new project into its DuckDB file', async () => {
    const init = await runCli(['init', 'starter'], { cwd: work.dir });
    expect(init.code, init.stderr).toBe(0);
    const project = join(work.dir, 'starter');
    const result = await runCli(['run', 'pipelines/example.yaml', '--json'], { cwd: project, env: { ORDERS: '300' } });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { totalRows: number; stateLocation: string };
    expect(summary.totalRows).toBe(1000 + 100 + 300);
    expect(summary.stateLocation).toBe(join(project, '.mage-int', 'state', 'example.json'));
    expect(await tableCounts(join(project, 'example.duckdb'), ['customers', 'products', 'orders'])).toEqual({
      customers: { rows: 1000, distinct: 1000 },
      products: { rows: 100, distinct: 100 },
      orders: { rows: 300, distinct: 300 },
    });
  });
});
