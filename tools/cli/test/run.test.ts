import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';
import { tableCounts } from './duckdb-query.js';

const STREAMS = ['customers', 'products', 'orders'] as const;
const SIZES = { customers: 300, products: 40, orders: 2500 };

interface JsonSummary {
  status: string;
  pipeline: string;
  streams: { stream: string; rows: number; rowsPerSecond: number | null; elapsedMs: number }[];
  totalRows: number;
  committedStates: number;
  stateLocation: string;
  state: { bookmarks: Record<string, Record<string, unknown>>; currently_syncing?: string | null };
}

/** Rows per stream from the printed summary table. */
function tableRows(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const match = /^(\w+)\s+([\d,]+)\s+\S+\s+\S+$/.exec(line);
    if (match && match[1] !== 'total') out[match[1] as string] = Number((match[2] as string).replace(/,/g, ''));
  }
  return out;
}

describe('mage-int run: faker → duckdb', () => {
  const work = workDir('run');
  let n = 0;
  /** A fresh pipeline file (own DuckDB file and state) per test. */
  const pipeline = (
    extra = '',
    sourceConfig = `customers: ${SIZES.customers}, products: ${SIZES.products}, orders: ${SIZES.orders}, batch_size: 200`,
  ) => {
    const name = `p${++n}`;
    const path = join(work.dir, `${name}.yaml`);
    writeFileSync(
      path,
      `source:\n  name: faker\n  config: { ${sourceConfig} }\ndestination:\n  name: duckdb\n  config: { path: ${name}.duckdb, batch_size_rows: 1000 }\n${extra}`,
    );
    return { path, db: join(work.dir, `${name}.duckdb`), state: join(work.dir, '.mage-int', 'state', `${name}.json`), name };
  };

  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it('syncs every stream, prints a summary whose counts equal the rows in DuckDB, and saves the state', async () => {
    const p = pipeline();
    const result = await runCli(['run', p.path]);
    expect(result.stderr).not.toContain('error:');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^STREAM\s+ROWS\s+ROWS\/S\s+ELAPSED$/m);
    expect(result.stdout).toMatch(/^total\s+2,840\s/m);
    expect(result.stdout).toContain(`state saved to ${p.state}`);
    const summary = tableRows(result.stdout);
    const counts = await tableCounts(p.db, STREAMS);
    for (const stream of STREAMS) {
      expect(summary[stream]).toBe(SIZES[stream]);
      expect(counts[stream]).toEqual({ rows: SIZES[stream], distinct: SIZES[stream] });
    }
    const state = JSON.parse(readFileSync(p.state, 'utf8')) as JsonSummary['state'];
    expect(state.currently_syncing).toBeNull();
    expect(Object.keys(state.bookmarks).sort()).toEqual(['customers', 'orders', 'products']);
    // Not a terminal: plain progress lines on stderr.
    expect(result.stderr).toContain(`${p.name}: stream orders started`);
    expect(result.stderr).not.toContain('\x1b[');
  });

  it('redraws live per-stream progress with --progress live (as on a terminal)', async () => {
    const p = pipeline();
    const result = await runCli(['run', p.path, '--progress', 'live', '--log-level', 'warn']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`${p.name} · [\\d.]+m?s · \\d+ states? committed`));
    expect(result.stderr).toMatch(/orders\s+[\d,]+ rows\s+[\d,-]+ rows\/s/);
    expect(result.stderr).toMatch(/\x1b\[\d+F\x1b\[0J/); // cursor up, clear: the block is redrawn in place
    expect(result.stdout).toMatch(/^total\s+2,840\s/m);
  });

  it('prints a machine-readable summary with --json, and nothing else on stdout', async () => {
    const p = pipeline();
    const result = await runCli(['run', p.path, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as JsonSummary;
    expect(summary).toMatchObject({ status: 'ok', pipeline: p.name, totalRows: 2840, stateLocation: p.state });
    expect(summary.committedStates).toBeGreaterThan(1);
    const counts = await tableCounts(p.db, STREAMS);
    expect(summary.streams.map((s) => s.stream)).toEqual([...STREAMS]);
    for (const s of summary.streams) {
      expect(s.rows).toBe(counts[s.stream]?.rows);
      expect(s.elapsedMs).toBeGreaterThanOrEqual(0);
    }
    expect(summary.state).toEqual(JSON.parse(readFileSync(p.state, 'utf8')));
  });

  it('syncs only the streams named with --streams', async () => {
    const p = pipeline();
    const result = await runCli(['run', '--streams', 'products,orders', p.path, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as JsonSummary;
    expect(summary.streams.map((s) => s.stream)).toEqual(['products', 'orders']);
    expect(await tableCounts(p.db, STREAMS)).toEqual({
      customers: { rows: 0, distinct: 0 },
      products: { rows: SIZES.products, distinct: SIZES.products },
      orders: { rows: SIZES.orders, distinct: SIZES.orders },
    });
    expect(Object.keys(summary.state.bookmarks).sort()).toEqual(['orders', 'products']);

    const second = await runCli(['run', p.path, '--streams', 'customers', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ totalRows: SIZES.customers });
    expect((await tableCounts(p.db, ['customers'])).customers).toEqual({ rows: SIZES.customers, distinct: SIZES.customers });
  });

  it('rejects an unknown stream in --streams or in the file, listing the known ones (exit 2)', async () => {
    const p = pipeline();
    const flag = await runCli(['run', p.path, '--streams', 'invoices']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`error: stream "invoices": stream "invoices" is not in the source's catalog`);
    expect(flag.stderr).toContain('hint: known streams: customers, products, orders');
    const inFile = pipeline('streams:\n  invoice:\n    selected: true\n');
    const file = await runCli(['run', inFile.path]);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('stream "invoice" is not in the source\'s catalog');
    expect(existsSync(inFile.db)).toBe(false);
  });

  it('resumes an interrupted full-table stream from its bookmark, and --full-refresh starts it over', async () => {
    const p = pipeline('', `customers: 1, products: 1, orders: ${SIZES.orders}, batch_size: 200`);
    const first = await runCli(['run', p.path, '--streams', 'orders', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const version = (JSON.parse(first.stdout) as JsonSummary).state.bookmarks['orders']?.['version'];
    expect(typeof version).toBe('number');
    // As if the last run had stopped after committing orders 1..1000.
    const set = await runCli([
      'state',
      'set',
      p.path,
      '--stream',
      'orders',
      '--value',
      JSON.stringify({ version, last_pk_fetched: { id: 1000 } }),
    ]);
    expect(set.code, set.stderr).toBe(0);

    const resumed = await runCli(['run', p.path, '--streams', 'orders', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ totalRows: SIZES.orders - 1000 });
    expect(resumed.stderr).toContain('resuming the full sync of orders after id 1000');

    await runCli(['state', 'set', p.path, '--stream', 'orders', '--value', JSON.stringify({ version, last_pk_fetched: { id: 1000 } })]);
    const refreshed = await runCli(['run', p.path, '--streams', 'orders', '--full-refresh', '--json']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(JSON.parse(refreshed.stdout)).toMatchObject({ totalRows: SIZES.orders });
    expect((await tableCounts(p.db, ['orders'])).orders).toEqual({ rows: SIZES.orders, distinct: SIZES.orders });
  });

  it('syncs an incremental stream from its bookmark, and everything again with --full-refresh', async () => {
    const p = pipeline('streams:\n  orders:\n    replication_method: INCREMENTAL\n    replication_key: updated_at\n');
    const first = await runCli(['run', p.path, '--streams', 'orders', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ totalRows: SIZES.orders });
    const bookmark = (JSON.parse(first.stdout) as JsonSummary).state.bookmarks['orders'];
    expect(bookmark).toMatchObject({ replication_key: 'updated_at' });

    const again = await runCli(['run', p.path, '--streams', 'orders', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as JsonSummary).totalRows).toBeLessThan(10);

    const refreshed = await runCli(['run', p.path, '--streams', 'orders', '--full-refresh', '--json']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(JSON.parse(refreshed.stdout)).toMatchObject({ totalRows: SIZES.orders });
    expect((await tableCounts(p.db, ['orders'])).orders).toEqual({ rows: SIZES.orders, distinct: SIZES.orders });
  });

  it('keeps state where --state-dir says, and runs with --no-validate', async () => {
    const p = pipeline();
    const dir = join(work.dir, 'custom-state');
    const result = await runCli(['run', p.path, '--state-dir', dir, '--no-validate', '--streams', 'products']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`state saved to ${join(dir, `${p.name}.json`)}`);
    expect(existsSync(join(dir, `${p.name}.json`))).toBe(true);
    expect(existsSync(p.state)).toBe(false);
  });

  it('names the bad field of a connector config (exit 2) before connecting to anything', async () => {
    const dest = pipeline().path;
    writeFileSync(dest, readFileSync(dest, 'utf8').replace('batch_size_rows: 1000', 'batch_size_rows: 0'));
    const result = await runCli(['run', dest]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error: field "batch_size_rows": invalid config for destination duckdb: "batch_size_rows" must be >= 1 (got 0)',
    );
    expect(result.stderr).toContain('hint: see the destination duckdb config reference');
    expect(existsSync(dest.replace('.yaml', '.duckdb'))).toBe(false);

    const source = pipeline('', 'customers: 10, rows: 5');
    const unknown = await runCli(['run', source.path]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('invalid config for source faker: "rows" is not a known setting');

    const typed = pipeline('', 'customers: "${MAGE_INT_TEST_CUSTOMERS}"');
    const notNumber = await runCli(['run', typed.path], { env: { MAGE_INT_TEST_CUSTOMERS: 'lots' } });
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain('"customers" must be integer (got "lots")');
  });

  it('turns ${VAR} strings into the numbers a connector expects', async () => {
    const p = pipeline('', 'customers: "${MAGE_INT_TEST_CUSTOMERS}", products: "${MAGE_INT_TEST_PRODUCTS:-7}", orders: 0');
    const result = await runCli(['run', p.path, '--json'], { env: { MAGE_INT_TEST_CUSTOMERS: '12', MAGE_INT_TEST_PRODUCTS: undefined } });
    expect(result.code, result.stderr).toBe(0);
    expect(await tableCounts(p.db, ['customers', 'products'])).toEqual({
      customers: { rows: 12, distinct: 12 },
      products: { rows: 7, distinct: 7 },
    });
  });

  it('reports a destination that fails at run time with exit 1, and where the state stays', async () => {
    const p = pipeline();
    writeFileSync(p.path, readFileSync(p.path, 'utf8').replace(`path: ${p.name}.duckdb`, `path: ${p.name}.yaml/x.duckdb`));
    const result = await runCli(['run', p.path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot open DuckDB database .*x\.duckdb/m);
    expect(result.stderr).toContain('hint: ');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
