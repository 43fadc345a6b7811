// The UI with the BullMQ executor (issue 17 × 16): the real Redis (127.0.0.1:6379) and a real worker process
// (`mage-int worker`). Runs submitted from the UI and from `mage-int submit` show in the UI's run list and history,
// live, from the one run-record store the workers write. Needs `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BullmqExecutor } from '@mage-int/executor-bullmq';
import type { RunRecord } from '@mage-int/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, startProjectUi } from './ui-harness.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'bin', 'run.js');
// A prefix of this file's own: other tests may use the same Redis at the same time.
const prefix = `mage-int-ui-test-${randomBytes(4).toString('hex')}`;

type Project = Awaited<ReturnType<typeof startProjectUi>>;
let project: Project;
let worker: ChildProcess;
let workerLog = '';

function cli(args: string[], cwd: string): ChildProcess {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_ENV' || key === 'NODE_OPTIONS') delete env[key];
  return spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${workerLog}`);
    await sleep(200);
  }
}

/** The run's server-sent events until its end: each progress event's streams, and the end record. */
async function follow(runId: string): Promise<{ progress: { stream: string; rows: number; phase: string }[][]; end: RunRecord }> {
  const response = await fetch(`http://127.0.0.1:${project.ui.port}/api/runs/${runId}/events?token=${project.ui.token}`);
  const progress: { stream: string; rows: number; phase: string }[][] = [];
  const text = await response.text();
  let end: RunRecord | undefined;
  for (const chunk of text.split('\n\n').filter(Boolean)) {
    const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? 'null') as { type: string; streams?: never; record?: RunRecord };
    if (data.type === 'progress') progress.push(data.streams ?? []);
    if (data.type === 'end') end = data.record;
  }
  if (!end) throw new Error(`no end event: ${text.slice(-500)}`);
  return { progress, end };
}

const history = async (name: string) => (await project.call<RunRecord[]>(`pipelines/${name}/runs`)).body;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  project = await startProjectUi('executor', { executor: new BullmqExecutor({ prefix }) });
  worker = cli(['worker', '--prefix', prefix, '--lock-seconds', '5', '--concurrency', '3'], project.dir);
  worker.stdout!.on('data', (c: Buffer) => (workerLog += c.toString()));
  worker.stderr!.on('data', (c: Buffer) => (workerLog += c.toString()));
  await until('the worker', async () => workerLog.includes('ready'));
}, 60_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await Promise.race([new Promise((ok) => worker.once('exit', ok)), sleep(10_000)]);
    if (worker.exitCode === null) worker.kill('SIGKILL');
  }
  await project?.stop();
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('mage-int ui with the BullMQ executor', () => {
  it('submits a run from the UI to a worker, follows it live to the end, and keeps it in the one run-record store', async () => {
    const created = await project.call('pipelines', {
      method: 'POST',
      body: {
        name: 'shop',
        source: { name: 'faker', config: { customers: 300, products: 10, orders: 5000 } },
        destination: { name: 'duckdb', config: { path: 'shop.duckdb' } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await project.call<{ executor: boolean }>('pipelines/shop')).body.executor).toBe(true);
    const started = await project.call<{ runId: string; onWorkers: boolean }>('pipelines/shop/runs', {
      method: 'POST',
      body: { onWorkers: true },
    });
    expect(started.body.onWorkers).toBe(true);
    const { progress, end } = await follow(started.body.runId);
    expect(end).toMatchObject({ id: started.body.runId, status: 'completed', rows: 5310, executor: 'bullmq' });
    expect(Object.fromEntries(end.streams.map((s) => [s.stream, [s.rows, s.phase]]))).toEqual({
      customers: [300, 'done'],
      products: [10, 'done'],
      orders: [5000, 'done'],
    });
    // Each stream went through the runner's phases on the worker.
    expect(end.streams.find((s) => s.stream === 'customers')?.phases?.map((p) => p.phase)).toEqual([
      'queued',
      'reading',
      'waiting-for-commit',
      'done',
    ]);
    expect(progress.length).toBeGreaterThan(0);
    expect(end.tasks[0]?.worker).toMatch(/:\d+$/);

    // The worker wrote the record where the UI's own runs go: one store.
    const file = join(project.dir, 'pipelines', '.mage-int', 'runs', 'shop', `${started.body.runId}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      id: started.body.runId,
      status: 'completed',
      rows: 5310,
      executor: 'bullmq',
    });

    // A run here, then: both in the history, newest first, each saying where it ran.
    const local = await project.call<{ runId: string }>('pipelines/shop/runs', { method: 'POST', body: {} });
    const localEnd = await follow(local.body.runId);
    expect(localEnd.end.status).toBe('completed');
    const runs = await history('shop');
    expect(runs.map((r) => [r.id, r.status, r.executor ?? 'in-process'])).toEqual([
      [local.body.runId, 'completed', 'in-process'],
      [started.body.runId, 'completed', 'bullmq'],
    ]);
    const listed = await project.call<{ name: string; lastRun?: { id: string } }[]>('pipelines');
    expect(listed.body.find((p) => p.name === 'shop')?.lastRun?.id).toBe(local.body.runId);
  }, 120_000);

  it('shows a run submitted with `mage-int submit` live in the run list and history, and cancels it from the UI', async () => {
    await project.call('pipelines', {
      method: 'POST',
      body: {
        name: 'big',
        source: { name: 'faker', config: { customers: 100, products: 10, orders: 20_000_000, batch_size: 2000 } },
        destination: { name: 'duckdb', config: { path: 'big.duckdb', batch_size_rows: 20000 } },
      },
    });
    const submit = cli(['submit', join('pipelines', 'big.yaml'), '--prefix', prefix], project.dir);
    let out = '';
    submit.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    submit.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    expect(await new Promise((ok) => submit.once('exit', ok)), out).toBe(0);

    // The pipeline list names the run going on; the history shows it running, its rows growing, orders reading.
    const runId = await until('the run in the list', async () => {
      const list = await project.call<{ name: string; running?: string }[]>('pipelines');
      return list.body.find((p) => p.name === 'big')?.running;
    });
    const live = await until('rows of orders in the history', async () => {
      const record = (await history('big')).find((r) => r.id === runId);
      const orders = record?.streams.find((s) => s.stream === 'orders');
      return record?.status === 'running' && orders && orders.rows > 10_000 && orders.phase === 'reading' && record;
    });
    expect(live.executor).toBe('bullmq');
    expect(live.streams.find((s) => s.stream === 'customers')?.phase).toBe('done');

    // A second run of it from the UI is refused while it runs, here as on the workers.
    expect((await project.call('pipelines/big/runs', { method: 'POST', body: {} })).body).toMatchObject({ code: 'RUN_ACTIVE' });

    expect((await project.call(`runs/${runId}/cancel`, { method: 'POST' })).body).toMatchObject({ cancelled: runId, onWorkers: true });
    const ended = await until('the cancelled run', async () => {
      const record = (await history('big')).find((r) => r.id === runId);
      return record?.status === 'cancelled' && record;
    });
    expect(ended.rows).toBeLessThan(20_000_000);
    // The worker's record says so too.
    await until('the worker to record the cancellation', async () => {
      const file = join(project.dir, 'pipelines', '.mage-int', 'runs', 'big', `${runId}.json`);
      return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as RunRecord).status === 'cancelled';
    });
  }, 120_000);

  it('keeps one record of a run split into tasks that end at once (the record is written under a lock)', async () => {
    const database = `mage_ui_exec_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    try {
      // PostgreSQL state lets the run split: a task per stream, run at once by the worker (concurrency 3).
      writeFileSync(
        join(project.dir, 'pipelines', 'split.yaml'),
        `source:\n  name: faker\n  config: {customers: 2000, products: 30, orders: 4000}\ndestination:\n  name: jsonl\n  config: {destination_path: split-out}\nstate: {backend: postgres, url: "postgres://postgres@127.0.0.1:5432/${database}"}\n`,
      );
      const started = await project.call<{ runId: string }>('pipelines/split/runs', { method: 'POST', body: { onWorkers: true } });
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      const { end } = await follow(started.body.runId);
      expect(end.status).toBe('completed');
      expect(end.tasks).toHaveLength(3);
      const file = join(project.dir, 'pipelines', '.mage-int', 'runs', 'split', `${started.body.runId}.json`);
      const kept = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
      expect(kept).toMatchObject({ status: 'completed', rows: 6030 });
      expect(kept.tasks.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
      expect(Object.fromEntries(kept.streams.map((s) => [s.stream, [s.rows, s.phase]]))).toEqual({
        customers: [2000, 'done'],
        products: [30, 'done'],
        orders: [4000, 'done'],
      });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }, 120_000);

  it('in chromium: "Submit to workers" runs on the worker, the page follows its streams to done, history marks it', async () => {
    const executable = process.env['MAGE_INT_CHROMIUM'] ?? '/usr/bin/chromium';
    if (!existsSync(executable)) throw new Error(`no browser at ${executable}: apt-get install -y chromium (or set MAGE_INT_CHROMIUM)`);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await project.call('pipelines', {
      method: 'POST',
      body: {
        name: 'remote',
        source: { name: 'faker', config: { customers: 20000, products: 50, orders: 400000, batch_size: 5000 } },
        destination: { name: 'duckdb', config: { path: 'remote.duckdb', batch_size_rows: 50000 } },
      },
    });
    const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      page.setDefaultTimeout(60_000);
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${project.ui.url}#/p/remote/run`);
      await page.getByRole('button', { name: 'Submit to workers' }).click();
      await page.getByRole('status').getByText('on workers').waitFor();
      await page.locator('tr[data-stream="orders"] [data-phase="reading"]').waitFor();
      await page.screenshot({ path: join(OUTPUT_DIR, 'run-workers.png'), fullPage: true });
      await page.getByRole('status').getByText('completed').waitFor();
      await page
        .locator('tr[data-stream="orders"] td[data-rows]')
        .filter({ hasText: /^400,000$/ })
        .waitFor();
      expect(await page.locator('tr[data-stream] [data-phase="done"]').count()).toBe(3);

      await page.getByRole('link', { name: 'History' }).click();
      const detail = page.getByRole('article', { name: 'Run details' });
      await detail.getByText(/^On the workers \(run /).waitFor();
      expect(await page.locator('table.runs .badge-workers').count()).toBe(1);
      expect(await detail.locator('tr[data-stream="orders"] .phase-trail').textContent()).toMatch(/reading .* → done$/);
      await page.screenshot({ path: join(OUTPUT_DIR, 'history-workers.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
