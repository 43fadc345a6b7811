import { randomBytes } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError, ConnectorError, silentLogger, type SourceMessage } from '@mage-int/core';
import destination, { DuckDB } from '../src/index.js';
import { load, record, schema, state, tempDir } from './helpers.js';
import packageJson from '../package.json' with { type: 'json' };

const tmp = tempDir('connector');
afterAll(() => tmp.cleanup());

describe('the connector', () => {
  test('is found by its package.json and describes itself', () => {
    expect(destination).toMatchObject({ kind: 'destination', name: 'duckdb' });
    expect(packageJson['mage-int']).toMatchObject({ type: 'destination', name: 'duckdb' });
    expect(packageJson.keywords).toContain('mage-int-connector');
  });

  test('check opens (and creates) the database and schema, and reports what is wrong otherwise', async () => {
    const ok = await destination.check(
      { path: tmp.db('check'), schema: 'staging' },
      { logger: silentLogger, signal: new AbortController().signal },
    );
    expect(ok).toMatchObject({ ok: true, message: expect.stringMatching(/^DuckDB v\d/) });
    const bad = await destination.check({ path: '/dev/null/nope.duckdb' }, { logger: silentLogger, signal: new AbortController().signal });
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/nope\.duckdb/);
  });

  test("fails at once, not hanging, when the database folder cannot be created (Node's recursive mkdir never returns under /proc)", {
    timeout: 10_000,
  }, async () => {
    const bad = await destination.check(
      { path: '/proc/mage-int-nope/x.duckdb' },
      { logger: silentLogger, signal: new AbortController().signal },
    );
    expect(bad).toMatchObject({
      ok: false,
      message: expect.stringMatching(/cannot open DuckDB database \/proc\/mage-int-nope\/x\.duckdb/),
    });
  });

  test('rejects unknown settings before touching the database', async () => {
    await expect(load({ path: tmp.db('config'), batch_rows: 5 } as never, [])).rejects.toBeInstanceOf(ConfigError);
  });

  test('refuses two streams that would load into one table', async () => {
    const attempt = load({ path: tmp.db('clash') }, [
      schema('public-users', { id: { type: 'integer' } }),
      schema('public_users', { id: { type: 'integer' } }),
    ]);
    await expect(attempt).rejects.toBeInstanceOf(ConnectorError);
    await expect(attempt).rejects.toThrow(/"public-users" and "public_users" would both load into table public_users/);
  });
});

describe('memory', () => {
  test("bounds DuckDB's buffer pool by memory_limit (1GB unless set) and rejects sizes DuckDB cannot read", async () => {
    const byDefault = new DuckDB({ config: { path: ':memory:' }, logger: silentLogger });
    for await (const _ of byDefault.write([schema('t', { id: { type: 'integer' } }, ['id']), record('t', { id: 1 }), state({})]));
    expect(await byDefault.query(`SELECT current_setting('memory_limit') AS limit`)).toEqual([{ limit: '953.6 MiB' }]);
    await byDefault.close();
    const db = new DuckDB({ config: { path: ':memory:', memory_limit: '300MB' }, logger: silentLogger });
    for await (const _ of db.write([schema('t', { id: { type: 'integer' } }, ['id']), record('t', { id: 1 }), state({})]));
    const [limit] = await db.query(`SELECT current_setting('memory_limit') AS limit`);
    expect(limit?.['limit']).toBe('286.1 MiB'); // DuckDB reports 300 MB in MiB
    await db.close();
    expect(() => new DuckDB({ config: { path: ':memory:', memory_limit: 'lots' } })).toThrow(/"memory_limit" must match pattern/);
  });
});

describe('memory over a long load', () => {
  // DuckDB caches every block it writes until memory_limit; a load never reads them again, so each commit lets them go.
  test('the blocks a load wrote do not stay in DuckDB after its commits', { timeout: 60_000 }, async () => {
    const path = tmp.db('trim');
    const instance = await DuckDBInstance.fromCache(path); // the load's own (DuckDB's instance cache): it stays open after
    const text = () => randomBytes(192).toString('base64'); // 256 characters DuckDB cannot compress much
    async function* rows(): AsyncGenerator<SourceMessage> {
      yield schema('t', { id: { type: 'integer' }, a: { type: 'string' }, b: { type: 'string' } }, ['id']);
      for (let i = 1; i <= 200_000; i++) yield record('t', { id: i, a: text(), b: text() });
      yield state({ done: true });
    }
    await load({ path, batch_size_rows: 40_000 }, rows());
    const connection = await instance.connect();
    const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson()[0] ?? {};
    expect(await read('SELECT count(*)::INTEGER AS n FROM t')).toEqual({ n: 200_000 });
    // ~100 MB of text went in, in five commits (without the trim DuckDB keeps ~100 MB of blocks); it is trimmed to 64MB after each.
    const held = await read(`SELECT (sum(memory_usage_bytes) // 1048576)::INTEGER AS mb FROM duckdb_memory() WHERE tag = 'BASE_TABLE'`);
    expect(held['mb']).toBeLessThanOrEqual(64);
    expect(await read(`SELECT current_setting('memory_limit') AS limit`)).toEqual({ limit: '953.6 MiB' });
    connection.closeSync();
    instance.closeSync();
  });
});

describe('the DuckDB class', () => {
  test('keeps an in-memory database across write and query', async () => {
    const db = new DuckDB({ config: { path: ':memory:' }, logger: silentLogger });
    const messages: SourceMessage[] = [
      schema('t', { id: { type: 'integer' }, v: { type: 'string' } }, ['id']),
      record('t', { id: 1, v: 'a' }),
      record('t', { id: 1, v: 'b' }),
      state({ done: true }),
    ];
    const states = [];
    for await (const s of db.write(messages)) states.push(s.value);
    expect(states).toEqual([{ done: true }]);
    expect(await db.query('SELECT id, v FROM t')).toEqual([{ id: '1', v: 'b' }]);
    expect(await db.check()).toMatchObject({ ok: true });
    await db.close();
  });
});
