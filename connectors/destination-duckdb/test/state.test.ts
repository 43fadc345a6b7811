import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import type { SourceMessage } from '@mage-int/core';
import destination, { type Config } from '../src/index.js';
import { load, query, record, schema, state, tempDir, writeCtx } from './helpers.js';

const tmp = tempDir('state');
afterAll(() => tmp.cleanup());

const users = schema('users', { id: { type: 'integer' }, name: { type: 'string' } }, ['id']);
const user = (id: number) => record('users', { id, name: `u${id}` });
const count = async (path: string, table = 'users') => {
  const exists = await query(path, `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = '${table}'`);
  if (exists[0]?.['n'] === 0) return 0;
  return Number((await query(path, `SELECT count(*)::INTEGER AS n FROM ${table}`))[0]?.['n']);
};

type Step = SourceMessage | (() => Promise<void>);
async function* source(steps: Step[]): AsyncGenerator<SourceMessage> {
  for (const step of steps) {
    if (typeof step === 'function') await step();
    else yield step;
  }
}

/** Loads, and at each STATE the destination yields, notes the state and how many users rows are committed. */
async function observe(config: Config, steps: Step[], onState?: (value: unknown) => void) {
  const seen: { value: unknown; rows: number }[] = [];
  for await (const message of destination.write(config, source(steps), writeCtx())) {
    seen.push({ value: message.value, rows: await count(String(config.path)) });
    onState?.(message.value);
  }
  return seen;
}

function signal() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const timeout = (ms: number) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not signalled within ${ms} ms`)), ms))]);
  return { resolve, wait: timeout };
}

describe('STATE after commit', () => {
  test('a STATE is yielded only once every record before it is queryable', async () => {
    const path = tmp.db('order');
    const seen = await observe({ path, batch_size_rows: 2 }, [
      users,
      user(1),
      user(2),
      state(1),
      user(3),
      state(2),
      user(4),
      user(5),
      user(6),
      state(3),
      user(7),
    ]);
    expect(seen).toEqual([
      { value: 1, rows: 2 },
      { value: 2, rows: 4 },
      { value: 3, rows: 6 },
    ]);
    expect(await count(path)).toBe(7);
  });

  test('a STATE arriving with nothing buffered is yielded at once, without waiting for more input', async () => {
    const path = tmp.db('idle');
    const seenFirst = signal();
    const seen = await observe(
      { path, batch_size_rows: 1 },
      [users, user(1), state('after-1'), () => seenFirst.wait(5000), state('after-wait')],
      (value) => {
        if (value === 'after-1') seenFirst.resolve();
      },
    );
    expect(seen).toEqual([
      { value: 'after-1', rows: 1 },
      { value: 'after-wait', rows: 1 },
    ]);
  });

  test('buffered records are committed after batch_max_age_seconds even while the source is quiet (and after the deprecated batch_max_age_ms, in milliseconds)', async () => {
    for (const [name, config] of [
      ['age-seconds', { batch_max_age_seconds: 0.05 }],
      ['age-ms', { batch_max_age_ms: 50 }],
    ] as const) {
      const path = tmp.db(name);
      const seenState = signal();
      const seen = await observe({ path, ...config }, [users, user(1), state('s1'), () => seenState.wait(5000), user(2)], (value) => {
        if (value === 's1') seenState.resolve();
      });
      expect(seen).toEqual([{ value: 's1', rows: 1 }]);
      expect(await count(path)).toBe(2);
    }
  });

  test("follow mode's maxLagSeconds commits quiet input within the lag although batch_max_age_seconds is a minute", async () => {
    const path = tmp.db('max-lag');
    const seenState = signal();
    const seen: { value: unknown; rows: number }[] = [];
    const ctx = { ...writeCtx(), maxLagSeconds: 0.05 };
    for await (const message of destination.write(
      { path },
      source([users, user(1), state('lagged'), () => seenState.wait(5000), user(2)]),
      ctx,
    )) {
      seen.push({ value: message.value, rows: await count(path) });
      if (message.value === 'lagged') seenState.resolve();
    }
    expect(seen).toEqual([{ value: 'lagged', rows: 1 }]);
  });

  test('loads Singer BATCH files (JSON Lines, gzip) from batch_dir', async () => {
    const path = tmp.db('batch-files');
    const dir = join(tmp.dir, 'batches');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'a.jsonl.gz'),
      gzipSync(`${JSON.stringify({ id: 1, name: 'u1' })}\n${JSON.stringify({ id: 2, name: 'u2' })}\n`),
    );
    const batch: SourceMessage = {
      type: 'BATCH',
      stream: 'users',
      encoding: { format: 'jsonl', compression: 'gzip' },
      manifest: [pathToFileURL(join(dir, 'a.jsonl.gz')).href],
    };
    const seen = await observe({ path, batch_dir: dir }, [users, batch, state('after-batch')]);
    expect(seen).toEqual([{ value: 'after-batch', rows: 2 }]);
  });

  test('batch_size_bytes commits before the row limit is reached', async () => {
    const path = tmp.db('bytes');
    const big = (id: number) => record('users', { id, name: 'x'.repeat(700) });
    const seen = await observe({ path, batch_size_bytes: 1024 }, [users, big(1), state('a'), big(2), state('b'), big(3), state('c')]);
    // The second record fills the batch; 'a' (sent before it) is released with both records committed.
    expect(seen[0]).toEqual({ value: 'a', rows: 2 });
    expect(seen.at(-1)).toEqual({ value: 'c', rows: 3 });
  });

  test('several STATEs within one batch yield the latest once it is committed', async () => {
    const path = tmp.db('latest');
    const seen = await observe({ path }, [users, user(1), state(1), user(2), state(2), user(3), state(3)]);
    expect(seen).toEqual([{ value: 3, rows: 3 }]);
  });

  test('a failure before commit yields no STATE and commits none of the batch; the file stays usable', async () => {
    const path = tmp.db('failure');
    const seen: unknown[] = [];
    const run = async () => {
      for await (const s of destination.write(
        { path },
        source([users, user(1), state('never'), record('users', { id: 'two', name: 'x' }), user(3)]),
        writeCtx(),
      ))
        seen.push(s.value);
    };
    await load({ path }, [users, user(100)]);
    await expect(run()).rejects.toThrow(/stream "users".*field "id"/);
    expect(seen).toEqual([]);
    expect(await count(path)).toBe(1);
    await load({ path }, [users, user(2)]);
    expect(await count(path)).toBe(2);
  });

  test('interleaved streams each land in their table, and one transaction covers them all', async () => {
    const path = tmp.db('interleaved');
    const orders = schema('orders', { id: { type: 'integer' }, user_id: { type: 'integer' } }, ['id']);
    const order = (id: number, userId: number) => record('orders', { id, user_id: userId });
    const seen: { value: unknown; users: number; orders: number }[] = [];
    const messages = [
      users,
      orders,
      user(1),
      order(10, 1),
      user(2),
      state('s1'),
      order(11, 2),
      order(12, 2),
      user(3),
      state('s2'),
      order(13, 3),
    ];
    for await (const s of destination.write({ path, batch_size_rows: 3 }, source(messages), writeCtx())) {
      seen.push({ value: s.value, users: await count(path, 'users'), orders: await count(path, 'orders') });
    }
    expect(seen).toEqual([
      { value: 's1', users: 2, orders: 1 },
      { value: 's2', users: 3, orders: 3 },
    ]);
    expect(await count(path, 'orders')).toBe(4);
  });
});
