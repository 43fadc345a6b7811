import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '@mage-int/core';
import type { StreamRow } from '../src/stream-table.js';
import { startProjectUi } from './ui-harness.js';

type Project = Awaited<ReturnType<typeof startProjectUi>>;
interface Streams {
  discovered: boolean;
  streams: StreamRow[];
  changes?: { addedStreams: string[]; removedStreams: string[]; columns: { stream: string; added: string[]; removed: string[] }[] };
}
interface EndResult {
  ok: boolean;
  error?: { message: string; field?: string; hint?: string };
}

const shop = {
  source: { name: 'faker', config: { customers: 50, products: 5, orders: 400 } },
  destination: { name: 'duckdb', config: { path: 'shop.duckdb' } },
};

/** Reads a run's server-sent events until it ends. */
async function runEvents(project: Project, runId: string): Promise<{ types: string[]; end: RunRecord }> {
  const response = await fetch(`http://127.0.0.1:${project.ui.port}/api/runs/${runId}/events?token=${project.ui.token}`);
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter(Boolean)
    .map((chunk) => ({
      type: /^event: (.*)$/m.exec(chunk)?.[1] ?? '',
      data: JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? 'null') as { record?: RunRecord },
    }));
  const end = events.find((e) => e.type === 'end')?.data.record ?? events[0]?.data.record;
  return { types: events.map((e) => e.type), end: end as RunRecord };
}

/** Follows a run's events; `onProgress` sees each progress event; resolves with the end record. */
async function followRun(
  project: Project,
  runId: string,
  onProgress: (streams: { stream: string; rows: number; status: string }[]) => void,
): Promise<RunRecord> {
  const response = await fetch(`http://127.0.0.1:${project.ui.port}/api/runs/${runId}/events?token=${project.ui.token}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = JSON.parse(/^data: (.*)$/m.exec(event)?.[1] ?? 'null') as { type: string; streams?: never; record?: RunRecord };
      if (data.type === 'progress') onProgress(data.streams ?? []);
      if (data.type === 'end' && data.record) return data.record;
    }
  }
  throw new Error('the event stream ended without an end event');
}

describe('mage-int ui API', () => {
  let project: Project;
  beforeAll(async () => {
    project = await startProjectUi('api');
  });
  afterAll(async () => {
    await project.stop();
  });

  it('listens on 127.0.0.1 only and answers API calls only with the token of this start', async () => {
    expect(project.ui.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${project.ui.port}/\\?token=[A-Za-z0-9_-]{32}$`));
    expect((await project.call('pipelines', { token: null })).status).toBe(401);
    expect((await project.call('pipelines', { token: 'x'.repeat(32) })).status).toBe(401);
    expect((await project.call('pipelines')).status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${project.ui.port}/`);
    expect(await page.text()).toContain('/vendor/preact.js');
    const preact = await fetch(`http://127.0.0.1:${project.ui.port}/vendor/preact.js`);
    expect(preact.headers.get('content-type')).toContain('javascript');
  });

  it('creates a pipeline file a person would write, edits it keeping comments, duplicates and deletes it', async () => {
    const created = await project.call('pipelines', { method: 'POST', body: { name: 'shop', ...shop } });
    expect(created.status).toBe(200);
    const file = join(project.dir, 'pipelines', 'shop.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('source:\n  name: faker\n  config:\n    customers: 50\n');
    expect(text).not.toContain('"');

    writeFileSync(file, text.replace('    orders: 400', '    orders: 400 # enough for a demo'));
    const edited = await project.call('pipelines/shop', {
      method: 'PUT',
      body: { source: { name: 'faker', config: { customers: 60, orders: 400 } }, destination: shop.destination },
    });
    expect(edited.status).toBe(200);
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('customers: 60');
    expect(after).toContain('orders: 400 # enough for a demo');
    expect(after).not.toContain('products:');

    expect((await project.call('pipelines', { method: 'POST', body: { name: 'shop', ...shop } })).body).toMatchObject({
      code: 'PIPELINE_EXISTS',
      field: 'name',
    });
    expect((await project.call('pipelines/shop/duplicate', { method: 'POST', body: { to: 'shop-copy' } })).status).toBe(200);
    expect(readFileSync(join(project.dir, 'pipelines', 'shop-copy.yaml'), 'utf8')).toBe(after);
    const list = await project.call<{ name: string; source: string; destination: string }[]>('pipelines');
    expect(list.body.map((p) => `${p.name}: ${p.source} → ${p.destination}`)).toEqual([
      'shop: faker → duckdb',
      'shop-copy: faker → duckdb',
    ]);
    expect((await project.call('pipelines/shop-copy', { method: 'DELETE' })).status).toBe(200);
    expect((await project.call<unknown[]>('pipelines')).body).toHaveLength(1);
  });

  it('writes secrets to the secrets file as ${VAR} references and never sends them back', async () => {
    // Testing a connection uses a typed secret without storing it.
    await project.call('pipelines/pg/check', {
      method: 'POST',
      body: {
        source: { name: 'postgres', config: { database: 'x', username: 'y', password: 'only-for-the-test' } },
        destination: shop.destination,
      },
    });
    expect(existsSync(join(project.dir, '.mage-int', 'secrets.env'))).toBe(false);

    const body = {
      name: 'pg',
      source: { name: 'postgres', config: { host: '127.0.0.1', database: 'shop', username: 'etl', password: 'hunter2-secret' } },
      destination: shop.destination,
    };
    const created = await project.call('pipelines', { method: 'POST', body });
    expect(created.status).toBe(200);
    expect(JSON.stringify(created.body)).not.toContain('hunter2-secret');
    const text = readFileSync(join(project.dir, 'pipelines', 'pg.yaml'), 'utf8');
    expect(text).toContain('password: ${PG_SOURCE_PASSWORD}');
    expect(text).not.toContain('hunter2');
    const secrets = join(project.dir, '.mage-int', 'secrets.env');
    expect(readFileSync(secrets, 'utf8')).toContain("PG_SOURCE_PASSWORD='hunter2-secret'");
    expect(statSync(secrets).mode & 0o777).toBe(0o600);

    // Shown as its reference; saving the form unchanged keeps it; a hard-coded one is masked.
    const shown = await project.call<{ source: { config: Record<string, unknown> } }>('pipelines/pg');
    expect(shown.body.source.config['password']).toBe('${PG_SOURCE_PASSWORD}');
    writeFileSync(join(project.dir, 'pipelines', 'pg.yaml'), text.replace('${PG_SOURCE_PASSWORD}', 'typed-in-file'));
    const masked = await project.call<{ source: { config: Record<string, unknown> } }>('pipelines/pg');
    expect(masked.body.source.config['password']).toBe('********');
    await project.call('pipelines/pg', { method: 'PUT', body: { source: masked.body.source, destination: shop.destination } });
    expect(readFileSync(join(project.dir, 'pipelines', 'pg.yaml'), 'utf8')).toContain('password: typed-in-file');
    expect(JSON.stringify((await project.call('pipelines')).body)).not.toContain('typed-in-file');
    await project.call('pipelines/pg', { method: 'DELETE' });
  });

  it('"test connection" names the field a bad config gets wrong', async () => {
    const bad = await project.call<{ ok: boolean; source: EndResult; destination: EndResult }>('pipelines/shop/check', {
      method: 'POST',
      body: { source: { name: 'faker', config: { orders: -5 } }, destination: shop.destination },
    });
    expect(bad.body.ok).toBe(false);
    expect(bad.body.source.error).toMatchObject({ field: 'orders' });
    expect(bad.body.source.error?.message).toContain('must be >= 0');
    expect(bad.body.destination.ok).toBe(true);
    const good = await project.call<{ ok: boolean }>('pipelines/shop/check', { method: 'POST', body: {} });
    expect(good.body.ok).toBe(true);
  });

  it('discovers, saves stream choices into the file, runs with progress events, keeps the run record, resets a stream', async () => {
    const discovered = await project.call<Streams>('pipelines/shop/discover', { method: 'POST' });
    expect(discovered.body.streams.map((s) => s.id)).toEqual(['customers', 'products', 'orders']);
    const choices = Object.fromEntries(discovered.body.streams.map((s) => [s.id, { selected: s.id !== 'products' }]));
    const orders = { selected: true, replicationMethod: 'INCREMENTAL', replicationKey: 'updated_at' };
    const saved = await project.call<Streams>('pipelines/shop/streams', { method: 'PUT', body: { streams: { ...choices, orders } } });
    expect(saved.body.streams.find((s) => s.id === 'products')?.selected).toBe(false);
    expect(readFileSync(join(project.dir, 'pipelines', 'shop.yaml'), 'utf8')).toContain(
      'streams:\n  products:\n    selected: false\n  orders:\n    replication_method: INCREMENTAL\n    replication_key: updated_at\n',
    );

    const started = await project.call<{ runId: string }>('pipelines/shop/runs', { method: 'POST', body: {} });
    const { types, end } = await runEvents(project, started.body.runId);
    expect(types[0]).toBe('snapshot');
    expect(types).toContain('progress');
    expect(types.at(-1)).toBe('end');
    expect(end.status).toBe('completed');
    expect(end.streams.map((s) => [s.stream, s.rows])).toEqual([
      ['customers', 60],
      ['orders', 400],
    ]);

    const history = await project.call<RunRecord[]>('pipelines/shop/runs');
    expect(history.body[0]).toMatchObject({
      id: started.body.runId,
      pipelineId: 'shop',
      status: 'completed',
      rows: 460,
      tasks: [{ status: 'completed', rows: 460 }],
    });
    const onDisk = JSON.parse(
      readFileSync(join(project.dir, 'pipelines', '.mage-int', 'runs', 'shop', `${started.body.runId}.json`), 'utf8'),
    ) as RunRecord;
    expect(onDisk.rows).toBe(460);
    const listed = await project.call<{ lastRun: { status: string; rows: number } }[]>('pipelines');
    expect(listed.body[0]?.lastRun).toMatchObject({ status: 'completed', rows: 460 });

    const state = await project.call<{ state: { bookmarks: Record<string, { replication_key_value?: unknown }> } }>('pipelines/shop/state');
    expect(Object.keys(state.body.state.bookmarks).sort()).toEqual(['customers', 'orders']);
    const reset = await project.call<{ state: { bookmarks: Record<string, unknown> } }>('pipelines/shop/state/reset', {
      method: 'POST',
      body: { stream: 'orders' },
    });
    expect(Object.keys(reset.body.state.bookmarks)).toEqual(['customers']);
  });

  it('re-discovery shows new and removed streams and columns and keeps the choices', async () => {
    // Pretend the last discovery saw a stream that is gone now, and no `orders` nor `customers.email`.
    const file = join(project.dir, 'pipelines', '.mage-int', 'catalog', 'shop.json');
    const catalog = JSON.parse(readFileSync(file, 'utf8')) as {
      streams: { tap_stream_id: string; schema: { properties: Record<string, unknown> } }[];
    };
    catalog.streams = catalog.streams.filter((s) => s.tap_stream_id !== 'orders');
    delete catalog.streams[0]!.schema.properties['email'];
    catalog.streams.push({ ...structuredClone(catalog.streams[1]!), tap_stream_id: 'refunds' });
    writeFileSync(file, JSON.stringify(catalog));
    const again = await project.call<Streams>('pipelines/shop/discover', { method: 'POST' });
    expect(again.body.changes).toEqual({
      addedStreams: ['orders'],
      removedStreams: ['refunds'],
      columns: [{ stream: 'customers', added: ['email'], removed: [] }],
    });
    expect(again.body.streams.find((s) => s.id === 'products')?.selected).toBe(false);
    expect(again.body.streams.find((s) => s.id === 'orders')?.replicationMethod).toBe('INCREMENTAL');
  });

  it('shows a stream done once the committed state has moved past it, and runs one stream from scratch on "full refresh"', async () => {
    const started = await project.call<{ runId: string }>('pipelines/shop/runs', {
      method: 'POST',
      body: { only: ['orders'], fullRefresh: true },
    });
    const end = await followRun(project, started.body.runId, () => {});
    expect(end).toMatchObject({ status: 'completed', only: ['orders'], fullRefresh: true, rows: 400 });
    expect(end.streams.map((s) => s.stream)).toEqual(['orders']);

    // Small commits, so states are committed while later streams still run.
    await project.call('pipelines', {
      method: 'POST',
      body: {
        name: 'steps',
        source: { name: 'faker', config: { customers: 1000, products: 0, orders: 0, batch_size: 250 } },
        destination: { name: 'duckdb', config: { path: 'steps.duckdb', batch_size_rows: 250 } },
      },
    });
    await project.call('pipelines/steps/discover', { method: 'POST' });
    await project.call('pipelines/steps/streams', {
      method: 'PUT',
      body: { streams: { products: { selected: true }, orders: { selected: true } } },
    });
    writeFileSync(
      join(project.dir, 'pipelines', 'steps.yaml'),
      readFileSync(join(project.dir, 'pipelines', 'steps.yaml'), 'utf8')
        .replace('orders: 0', 'orders: 2000')
        .replace('products: 0', 'products: 10'),
    );
    const seen: string[] = [];
    const all = await project.call<{ runId: string }>('pipelines/steps/runs', { method: 'POST', body: {} });
    await followRun(project, all.body.runId, (streams) => {
      for (const s of streams) if (s.status === 'done' && streams.some((o) => o.status === 'running')) seen.push(s.stream);
    });
    expect(seen).toContain('customers');
    const record = (await project.call<RunRecord[]>('pipelines/steps/runs')).body[0]!;
    // The history keeps each stream's phases: read, waited for the destination's commit, done.
    for (const stream of record.streams) {
      expect(stream.phase).toBe('done');
      expect(stream.phases?.map((p) => p.phase)).toEqual(['queued', 'reading', 'waiting-for-commit', 'done']);
      expect(stream.phases?.map((p) => p.at)).toEqual([...(stream.phases ?? []).map((p) => p.at)].sort((a, b) => a - b));
    }
  });

  it("streams a discovery's progress as server-sent events: tables introspected of N, increasing, then the result", async () => {
    const schema = `ui_progress_${process.pid}`;
    const db = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await db.connect();
    try {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      await db.query(
        `DO $$ BEGIN FOR i IN 1..450 LOOP EXECUTE format('CREATE TABLE ${schema}.t%s (id int PRIMARY KEY)', i); END LOOP; END $$;`,
      );
      await project.call('pipelines', {
        method: 'POST',
        body: {
          name: 'tables',
          source: { name: 'postgres', config: { host: '127.0.0.1', database: 'postgres', username: 'postgres', schema } },
          destination: shop.destination,
        },
      });
      const response = await fetch(`http://127.0.0.1:${project.ui.port}/api/pipelines/tables/discover`, {
        method: 'POST',
        headers: { 'x-mage-int-token': project.ui.token, accept: 'text/event-stream' },
      });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const events = (await response.text())
        .split('\n\n')
        .filter(Boolean)
        .map((chunk) => ({ type: /^event: (.*)$/m.exec(chunk)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? 'null') }));
      const progress = events.filter((e) => e.type === 'progress').map((e) => e.data as { done: number; total: number; unit: string });
      expect(progress.map((p) => p.done)).toEqual([0, 200, 400, 450]);
      expect(progress.every((p) => p.total === 450 && p.unit === 'tables')).toBe(true);
      expect(events.at(-1)?.type).toBe('result');
      expect((events.at(-1)?.data as Streams).streams).toHaveLength(450);
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    }
  });

  it('records a LOG_BASED PostgreSQL stream in its snapshot, then streaming changes from the log on the next run', async () => {
    const database = `mage_ui_cdc_${process.pid}`;
    const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    const db = new pg.Client({ host: '127.0.0.1', user: 'postgres', database });
    await db.connect();
    try {
      await db.query(
        `CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 100) g`,
      );
      await project.call('pipelines', {
        method: 'POST',
        body: {
          name: 'cdc',
          source: { name: 'postgres', config: { host: '127.0.0.1', database, username: 'postgres', schema: 'public' } },
          destination: { name: 'duckdb', config: { path: 'cdc.duckdb' } },
        },
      });
      await project.call('pipelines/cdc/discover', { method: 'POST' });
      const saved = await project.call('pipelines/cdc/streams', {
        method: 'PUT',
        body: { streams: { 'public-items': { selected: true, replicationMethod: 'LOG_BASED' } } },
      });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      const phasesOf = (record: RunRecord) => record.streams.find((s) => s.stream === 'items')?.phases?.map((p) => p.phase);

      const first = await project.call<{ runId: string }>('pipelines/cdc/runs', { method: 'POST', body: {} });
      const snapshot = await followRun(project, first.body.runId, () => {});
      expect(snapshot).toMatchObject({ status: 'completed', rows: 100 });
      expect(phasesOf(snapshot)?.slice(0, 3)).toEqual(['queued', 'snapshot', 'waiting-for-commit']);
      expect(phasesOf(snapshot)?.at(-1)).toBe('done');

      await db.query(`INSERT INTO items SELECT g, 'n' || g FROM generate_series(101, 105) g`);
      const second = await project.call<{ runId: string }>('pipelines/cdc/runs', { method: 'POST', body: {} });
      const changes = await followRun(project, second.body.runId, () => {});
      expect(changes).toMatchObject({ status: 'completed', rows: 5 });
      expect(phasesOf(changes)).toContain('streaming');
      expect(phasesOf(changes)).not.toContain('snapshot');
      expect(phasesOf(changes)?.at(-1)).toBe('done');
    } finally {
      await db.end();
      await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [database]);
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('cancels a run: the record says cancelled and the state of the last commit is kept', async () => {
    await project.call('pipelines', {
      method: 'POST',
      body: {
        name: 'big',
        source: { name: 'faker', config: { customers: 10, products: 5, orders: 50_000_000, batch_size: 1000 } },
        destination: { name: 'duckdb', config: { path: 'big.duckdb', batch_size_rows: 5000 } },
      },
    });
    const started = await project.call<{ runId: string }>('pipelines/big/runs', { method: 'POST', body: {} });
    expect((await project.call('pipelines/big/runs', { method: 'POST', body: {} })).body).toMatchObject({ code: 'RUN_ACTIVE' });
    let cancelled = false;
    const end = await followRun(project, started.body.runId, (streams) => {
      if (!cancelled && (streams.find((s) => s.stream === 'orders')?.rows ?? 0) > 20_000) {
        cancelled = true;
        void project.call(`runs/${started.body.runId}/cancel`, { method: 'POST' });
      }
    });
    expect(end.status).toBe('cancelled');
    expect(end.rows).toBeLessThan(50_000_000);
    const state = await project.call<{ state: { bookmarks: Record<string, unknown> } }>('pipelines/big/state');
    expect(Object.keys(state.body.state.bookmarks)).toContain('orders');
  });

  it('records a failed run with its error, hint and the field it names', async () => {
    await project.call('pipelines', {
      method: 'POST',
      body: { name: 'broken', source: { name: 'faker', config: { orders: 10, customers: 0 } }, destination: shop.destination },
    });
    const started = await project.call<{ runId: string }>('pipelines/broken/runs', { method: 'POST', body: {} });
    const end = await followRun(project, started.body.runId, () => {});
    expect(end.status).toBe('failed');
    expect(end.error).toContain('orders reference customers and products');
    expect(end.errorDetail).toMatchObject({ field: 'customers', hint: expect.stringContaining('at least 1') });
    expect(end.tasks[0]).toMatchObject({ status: 'failed', error: end.error });
    const listed = await project.call<{ name: string; lastRun?: { status: string } }[]>('pipelines');
    expect(listed.body.find((p) => p.name === 'broken')?.lastRun?.status).toBe('failed');
  });
});
