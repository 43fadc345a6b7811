import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineFile, PostgresStateStore, setBookmark, StateLockedError, stateStoreFor } from '../src/index.js';

const script = fileURLToPath(new URL('./fixtures/pg-state-writer.mjs', import.meta.url));
const URL_ = 'postgres://postgres@127.0.0.1:5432/postgres';
// A table of this file's own in the shared database: other test files run at the same time.
const table = `mage_int_state_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: URL_ });
const children: ChildProcess[] = [];

beforeAll(() => admin.connect());
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await admin.query(`drop table if exists ${table}, ${table}_locks`);
  await admin.end();
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; output: () => string; finished: Promise<Finished> } {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, output: () => stdout + stderr, finished };
}

async function holding(args: string[]): Promise<ChildProcess> {
  const run = start(['hold', URL_, table, ...args]);
  for (let i = 0; i < 200 && !run.output().includes('holding'); i++) {
    if (run.child.exitCode !== null) throw new Error(run.output());
    await new Promise((r) => setTimeout(r, 25));
  }
  return run.child;
}

describe('the PostgreSQL state store', () => {
  it('keeps values exact and names where the state is without the password', async () => {
    const store = new PostgresStateStore({ url: 'postgres://postgres:hunter2@127.0.0.1:5432/postgres', table });
    await store.load('exact');
    await store.save('exact', {
      bookmarks: { orders: { replication_key_value: 12345678901234567890n, lsn: '0/16B3748' } },
      currently_syncing: 'orders',
    });
    expect(await new PostgresStateStore({ url: URL_, table }).load('exact')).toEqual({
      bookmarks: { orders: { replication_key_value: 12345678901234567890n, lsn: '0/16B3748' } },
      currently_syncing: 'orders',
    });
    expect(store.describe('exact')).toBe(`postgres://postgres@127.0.0.1:5432/postgres public.${table} (pipeline exact)`);
    await store.clear('exact');
    expect(await store.load('exact')).toBeUndefined();
    await store.close();
  });

  it('merges the bookmarks of concurrent runs of different streams (several processes), losing none', async () => {
    const streams = ['s1', 's2', 's3', 's4'];
    const runs = streams.map((stream) => start(['write', URL_, table, 'merged', stream, '40']));
    const results = await Promise.all(runs.map((r) => r.finished));
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'done\n' });
    const state = await new PostgresStateStore({ url: URL_, table }).load('merged');
    expect(Object.keys(state!.bookmarks).sort()).toEqual(streams);
    for (const stream of streams) expect(state!.bookmarks[stream]).toMatchObject({ n: 40 });
  });

  it('refuses a save that would overwrite a stream another run changed since it was read (compare-and-set)', async () => {
    const a = new PostgresStateStore({ url: URL_, table });
    const b = new PostgresStateStore({ url: URL_, table });
    await a.load('cas');
    await a.save('cas', { bookmarks: { x: { n: 1 }, y: { n: 1 } } });
    const base = (await b.load('cas'))!;
    await a.save('cas', setBookmark(base, 'x', { n: 2 }));
    await expect(b.save('cas', setBookmark(base, 'x', { n: 3 }))).rejects.toMatchObject({ code: 'STATE_CONFLICT', stream: 'x' });
    // The failed save wrote nothing; a change of another stream merges.
    await b.save('cas', setBookmark(base, 'y', { n: 5 }));
    expect((await new PostgresStateStore({ url: URL_, table }).load('cas'))!.bookmarks).toEqual({ x: { n: 2 }, y: { n: 5 } });
    // A store that never read the state (`state set`) replaces it whole.
    const setter = new PostgresStateStore({ url: URL_, table });
    await setter.save('cas', { bookmarks: { z: { n: 1 } } });
    expect((await setter.load('cas'))!.bookmarks).toEqual({ z: { n: 1 } });
    await setter.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('lets one run of a pipeline hold it (the second names the holder), runs of different streams side by side, and frees a killed holder at once', async () => {
    const holder = await holding(['locked']);
    const store = new PostgresStateStore({ url: URL_, table });
    const refused = store.lock('locked');
    await expect(refused).rejects.toBeInstanceOf(StateLockedError);
    await expect(refused).rejects.toThrow(new RegExp(`pipeline "locked" already running: process ${holder.pid} on `));
    await expect(store.forStreams(['a']).lock('locked')).rejects.toMatchObject({ code: 'STATE_LOCKED' });
    holder.kill('SIGKILL');
    let lock;
    for (let i = 0; i < 100 && !lock; i++)
      lock = await store.lock('locked').catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)));
    expect(lock).toBeDefined();
    await lock!.release();

    const streamA = await holding(['split', 'a']);
    const b = await store.forStreams(['b']).lock('split');
    await expect(store.forStreams(['a']).lock('split')).rejects.toThrow(
      new RegExp(`streams a of pipeline "split" already running: process ${streamA.pid}`),
    );
    await expect(store.lock('split')).rejects.toMatchObject({ code: 'STATE_LOCKED' });
    await b.release();
    streamA.kill('SIGKILL');
    await store.close();
  });

  it('is what a pipeline file with state.backend postgres gets, its url from the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mage-pg-state-'));
    try {
      const file = join(dir, 'p.yaml');
      writeFileSync(
        file,
        `source: {name: faker}\ndestination: {name: jsonl}\nstate: {backend: postgres, url: "\${STATE_URL}", table: ${table}}\n`,
      );
      const store = stateStoreFor(await loadPipelineFile(file, { STATE_URL: URL_ }));
      expect(store).toBeInstanceOf(PostgresStateStore);
      expect(store.describe('p')).toContain(`public.${table} (pipeline p)`);
      writeFileSync(file, 'source: {name: faker}\ndestination: {name: jsonl}\nstate: {backend: postgres}\n');
      await expect(loadPipelineFile(file, {})).rejects.toThrow('state: "url" is required');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
