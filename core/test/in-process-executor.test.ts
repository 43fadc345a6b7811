import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { InProcessExecutor, planRun, silentLogger } from '../src/index.js';

// Inside the workspace, so the pipeline files find the workspace's connectors as a project finds its installed ones.
const dir = join(fileURLToPath(new URL('.', import.meta.url)), `.tmp-executor-${randomBytes(4).toString('hex')}`);
const table = `mage_int_state_${randomBytes(4).toString('hex')}`;
const url = 'postgres://postgres@127.0.0.1:5432/postgres';
mkdirSync(dir, { recursive: true });

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`drop table if exists ${table}, ${table}_locks`);
  await client.end();
});

function pipelineFile(name: string, state: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `id: ${name}\nsource: {name: faker, config: {seed: 3, customers: 50, products: 20, orders: 300}}\ndestination: {name: jsonl, config: {destination_path: out-${name}}}\n${state}\n`,
  );
  return file;
}

const signal = new AbortController().signal;

describe('planning and running a run in process (the Executor interface)', () => {
  it('splits a run into a task per stream with the PostgreSQL state store, and runs them, merging their bookmarks', async () => {
    const file = pipelineFile('split', `state: {backend: postgres, url: "${url}", table: ${table}}`);
    expect((await planRun({ pipeline: file }, { logger: silentLogger, signal })).tasks).toEqual([
      { streams: ['customers'] },
      { streams: ['products'] },
      { streams: ['orders'] },
    ]);
    const executor = new InProcessExecutor();
    const { id } = await executor.submit({ pipeline: file });
    const run = await executor.settled(id);
    expect(run).toMatchObject({ status: 'completed', pipelineId: 'split', rows: 370 });
    expect(run!.tasks.map((t) => [t.streams, t.status, t.rows])).toEqual([
      [['customers'], 'completed', 50],
      [['products'], 'completed', 20],
      [['orders'], 'completed', 300],
    ]);
    expect(
      readFileSync(join(dir, 'out-split', 'orders.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(300);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client.query(`select stream from ${table} where pipeline_id = 'split' order by stream`);
    await client.end();
    expect(rows.rows.map((r) => r.stream)).toEqual(['', 'customers', 'orders', 'products']);
    await executor.close();
  });

  it('keeps a run one task with the file state store (its lock is per pipeline), and has no schedules', async () => {
    const file = pipelineFile('whole', '');
    expect((await planRun({ pipeline: file, streams: ['orders', 'products'] }, { logger: silentLogger, signal })).tasks).toEqual([
      { streams: ['products', 'orders'] },
    ]);
    const executor = new InProcessExecutor();
    await expect(executor.schedule({ pipeline: file }, '* * * * *', 'x')).rejects.toMatchObject({ code: 'SCHEDULE_UNSUPPORTED' });
  });
});
