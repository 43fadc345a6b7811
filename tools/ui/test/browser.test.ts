/// <reference lib="dom" />
// The UI in a real browser: Debian's chromium (CI installs it with apt when missing) driven by playwright-core,
// never a downloaded browser. Screenshots of each page go to tools/ui/test-output/; docs/ui.md shows copies.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, startProjectUi } from './ui-harness.js';

const CHROMIUM = process.env['MAGE_INT_CHROMIUM'] ?? '/usr/bin/chromium';

describe('mage-int ui in chromium', () => {
  let project: Awaited<ReturnType<typeof startProjectUi>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set MAGE_INT_CHROMIUM)`);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    project = await startProjectUi('browser');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await project?.stop();
  });

  it('creates faker → DuckDB through the form, discovers, deselects a stream, runs, shows history and resets a stream', async () => {
    await page.goto(project.ui.url);
    await page.getByRole('link', { name: 'New pipeline' }).click();
    await page.getByLabel('Pipeline name').fill('shop');
    await page.getByLabel('Source connector').selectOption('faker');
    await page.getByLabel('Destination connector').selectOption('duckdb');

    // A bad value: the check's error appears next to the field it names.
    await page.getByLabel('orders', { exact: true }).fill('-5');
    await page.getByRole('button', { name: 'Test connection' }).click();
    const ordersError = page.locator('#source-orders-error');
    await ordersError.filter({ hasText: 'must be >= 0' }).waitFor();
    expect(await page.getByLabel('orders', { exact: true }).getAttribute('aria-describedby')).toContain('source-orders-error');
    await shot('config-error');

    await page.getByLabel('orders', { exact: true }).fill('3000');
    await page.getByLabel('customers', { exact: true }).fill('200');
    await page.getByLabel('products', { exact: true }).fill('20');
    await page.locator('#destination-path').fill('shop.duckdb');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Both ends connected.').waitFor();
    expect(await ordersError.count()).toBe(0);
    await shot('config');
    await page.getByRole('button', { name: 'Create pipeline' }).click();
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    expect(readFileSync(join(project.dir, 'pipelines', 'shop.yaml'), 'utf8')).toContain('    orders: 3000\n');

    // Streams: discover, find one with the search box, deselect it, save.
    await page.getByRole('link', { name: 'Streams' }).click();
    await page.getByRole('button', { name: 'Discover', exact: true }).click();
    await page.getByText('Discovered 3 streams.').waitFor();
    await page.getByLabel('Search streams').fill('prod');
    expect(await page.locator('table.streams tbody tr').count()).toBe(1);
    await page.getByLabel('Sync products').uncheck();
    await page.getByLabel('Search streams').fill('');
    await page.getByText('2 of 3 streams selected').waitFor();
    await page.getByRole('button', { name: 'Save stream choices' }).click();
    await page.getByText('Saved the stream choices').waitFor();
    expect(readFileSync(join(project.dir, 'pipelines', 'shop.yaml'), 'utf8')).toContain('streams:\n  products:\n    selected: false\n');
    await page
      .getByRole('button', { name: /^\d+\/\d+ fields$/ })
      .first()
      .click();
    await shot('streams');

    // Run: the per-stream counters reach the final numbers and each stream is done.
    await page.getByRole('link', { name: 'Run' }).click();
    await page.getByRole('button', { name: 'Start run' }).click();
    const rows = (stream: string) => page.locator(`tr[data-stream="${stream}"] td[data-rows]`);
    await rows('orders')
      .filter({ hasText: /^3,000$/ })
      .waitFor({ timeout: 30_000 });
    await rows('customers').filter({ hasText: /^200$/ }).waitFor();
    await page.getByRole('status').getByText('completed').waitFor();
    expect(await page.locator('tr[data-stream="products"]').count()).toBe(0);
    expect(await page.locator('tr[data-stream] .badge-done').count()).toBe(2);
    await page.getByLabel('Level').selectOption('warn');
    await page.getByLabel('Level').selectOption('info');
    await shot('run');

    // History: the run, its rows per stream.
    await page.getByRole('link', { name: 'History' }).click();
    const detail = page.getByRole('article', { name: 'Run details' });
    await detail.getByText('3,200 rows').waitFor();
    expect(await detail.locator('tbody tr').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('ordersdone3,000'), expect.stringContaining('customersdone200')]),
    );
    // Each stream's phases, from the runner's events: read, then waiting for the destination's commit, then done.
    expect(await detail.locator('tr[data-stream="customers"] .phase-trail').textContent()).toMatch(
      /^queued( [\d.]+ m?s)? → reading [\d.]+ m?s → waiting for commit [\d.]+ m?s → done$/,
    );
    await shot('history');

    // State: reset one stream's bookmark behind a confirmation.
    await page.getByRole('link', { name: 'State' }).click();
    await page.getByRole('button', { name: 'Reset customers' }).click();
    await page.getByRole('button', { name: 'Reset state' }).click();
    await page.getByText('Reset customers: its next run starts from the beginning.').waitFor();
    const state = JSON.parse(readFileSync(join(project.dir, 'pipelines', '.mage-int', 'state', 'shop.json'), 'utf8')) as {
      bookmarks: Record<string, unknown>;
    };
    expect(Object.keys(state.bookmarks)).toEqual(['orders']);
    await shot('state');

    await page.getByRole('link', { name: 'All pipelines' }).click();
    await page.getByRole('cell', { name: '3,200' }).waitFor();
    await shot('pipelines');
    expect(pageErrors).toEqual([]);
  });

  it('keeps a secret typed into the form out of the file and the page, and a table of 300 streams quick to search, select and sort', async () => {
    const schema = `ui_many_${process.pid}`;
    const db = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await db.connect();
    try {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      await db.query(
        Array.from(
          { length: 300 },
          (_, i) => `CREATE TABLE ${schema}.t_${String(i).padStart(3, '0')} (id int PRIMARY KEY, name text, updated_at timestamptz);`,
        ).join('\n'),
      );

      await page.goto(`${project.ui.url}#/new`);
      await page.getByLabel('Pipeline name').fill('many');
      await page.getByLabel('Source connector').selectOption('postgres');
      await page.getByLabel('Destination connector').selectOption('duckdb');
      await page.locator('#source-host').fill('127.0.0.1');
      await page.locator('#source-database').fill('postgres');
      await page.locator('#source-schema').fill(schema);
      await page.locator('#source-username').fill('postgres');
      expect(await page.locator('#source-password').getAttribute('type')).toBe('password');
      await page.locator('#source-password').fill('not-a-real-password-42');
      await page.getByRole('button', { name: 'Create pipeline' }).click();
      await page.getByRole('heading', { name: 'many' }).waitFor();
      const file = readFileSync(join(project.dir, 'pipelines', 'many.yaml'), 'utf8');
      expect(file).toContain('password: ${MANY_SOURCE_PASSWORD}');
      expect(file).not.toContain('not-a-real-password-42');
      await page.reload();
      await page.locator('#source-password').waitFor();
      expect(await page.locator('#source-password').inputValue()).toBe('${MANY_SOURCE_PASSWORD}');
      expect(await page.content()).not.toContain('not-a-real-password-42');

      await page.getByRole('link', { name: 'Streams' }).click();
      await page.getByRole('button', { name: 'Discover', exact: true }).click();
      await page.getByText('Discovered 300 streams.').waitFor({ timeout: 30_000 });
      const started = Date.now();
      await page.getByRole('button', { name: 'Select none' }).click();
      await page.getByText('0 of 300 streams selected; showing 300.').waitFor();
      await page.getByLabel('Search streams').fill('t_01');
      await page.getByText('0 of 300 streams selected; showing 10.').waitFor();
      await page.getByRole('button', { name: 'Select filtered', exact: true }).click();
      await page.getByText('10 of 300 streams selected; showing 10.').waitFor();
      await page.getByLabel('Replication of filtered').selectOption('INCREMENTAL');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByLabel('Search streams').fill('');
      await page.getByRole('button', { name: 'Sync', exact: true }).click();
      await page.getByText('10 of 300 streams selected; showing 300.').waitFor();
      expect(await page.locator('table.streams tbody tr').first().locator('th').textContent()).toContain('t_010');
      expect(Date.now() - started).toBeLessThan(5_000);
      await page.getByRole('button', { name: 'Save stream choices' }).click();
      await page.getByText('Saved the stream choices').waitFor();
      const saved = readFileSync(join(project.dir, 'pipelines', 'many.yaml'), 'utf8');
      expect(saved).toContain(`  ${schema}-t_000:\n    selected: false\n`);
      expect(saved).toMatch(
        new RegExp(`  ${schema}-t_010:\\n    replication_method: INCREMENTAL\\n    replication_key: (updated_at|id)\\n`),
      );
      await page.getByLabel('Search streams').fill('t_01');
      await shot('streams-many');
      expect(pageErrors).toEqual([]);
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    }
  });

  it('shows discovery progress as a bar that fills as the source samples each stream', async () => {
    // A local API whose every page takes 400 ms: source-rest samples one page per stream at discovery.
    const api = createServer((req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ id: 1, name: `row of ${req.url}`, amount: 1.5 }]));
      }, 400);
    });
    await new Promise<void>((ok) => api.listen(0, '127.0.0.1', ok));
    const port = (api.address() as AddressInfo).port;
    try {
      const resources = Array.from({ length: 8 }, (_, i) => ({ name: `r${i + 1}`, endpoint: { path: `r${i + 1}` } }));
      const created = await project.call('pipelines', {
        method: 'POST',
        body: {
          name: 'api',
          source: {
            name: 'rest',
            config: { client: { base_url: `http://127.0.0.1:${port}/`, paginator: { type: 'single_page' } }, resources },
          },
          destination: { name: 'duckdb', config: { path: 'api.duckdb' } },
        },
      });
      expect(created.status).toBe(200);
      await page.goto(`${project.ui.url}#/p/api/streams`);
      await page.evaluate(() => {
        const seen: number[] = [];
        (window as unknown as { barSeen: number[] }).barSeen = seen;
        new MutationObserver(() => {
          const bar = document.getElementById('discover-bar');
          const done = Number(bar?.getAttribute('data-done') ?? -1);
          if (bar && seen[seen.length - 1] !== done) seen.push(done);
        }).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
      await page.getByRole('button', { name: 'Discover', exact: true }).click();
      // The label and the bar are read in one go in the page: a stream sampled between two reads moves them both on.
      const shown = await page.waitForFunction(() => {
        const done = Number(document.getElementById('discover-bar')?.getAttribute('data-done') ?? -1);
        const label = document.querySelector('label[for="discover-bar"]')?.textContent ?? '';
        return done >= 3 && done < 8 ? { done, label } : undefined;
      });
      const { done, label } = (await shown.jsonValue()) as { done: number; label: string };
      expect(label).toBe(`Discovering: ${done} of 8 streams sampled`);
      await shot('discover-progress');
      await page.getByText('Discovered 8 streams.').waitFor();
      await page.getByText('(discovery: 8 of 8 streams sampled)').waitFor();
      const seen = await page.evaluate(() => (window as unknown as { barSeen: number[] }).barSeen);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 5, 6, 7]));
      expect(pageErrors).toEqual([]);
    } finally {
      api.closeAllConnections();
      await new Promise<void>((ok) => api.close(() => ok()));
    }
  });

  it('shows a long run live (streams done one by one, a rows/s sparkline) and cancels it from the page', async () => {
    await project.call('pipelines', {
      method: 'POST',
      body: {
        name: 'live',
        source: { name: 'faker', config: { customers: 20000, orders: 5000000, batch_size: 2000 } },
        destination: { name: 'duckdb', config: { path: 'live.duckdb', batch_size_rows: 20000 } },
      },
    });
    await page.goto(`${project.ui.url}#/p/live/run`);
    // Every phase each stream's badge showed, in order, as the page rendered them.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {};
      (window as unknown as { phasesSeen: Record<string, string[]> }).phasesSeen = seen;
      const record = () => {
        for (const badge of document.querySelectorAll('tr[data-stream] [data-phase]')) {
          const stream = badge.closest('tr')?.getAttribute('data-stream') ?? '';
          const list = (seen[stream] ??= []);
          const phase = badge.getAttribute('data-phase') ?? '';
          if (list[list.length - 1] !== phase) list.push(phase);
        }
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.locator('tr[data-stream="customers"] .badge-done').waitFor({ timeout: 30_000 });
    await page.locator('tr[data-stream="orders"] svg.spark').waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-stream="orders"] [data-phase="reading"]').count()).toBe(1);
    await shot('run-live');
    const seen = await page.evaluate(() => (window as unknown as { phasesSeen: Record<string, string[]> }).phasesSeen);
    expect(seen['customers']?.[0]).toBe('queued');
    expect(seen['customers']).toContain('reading');
    expect(seen['customers']?.at(-1)).toBe('done');
    expect(seen['orders']?.slice(0, 2)).toEqual(['queued', 'reading']);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('status').getByText('cancelled').waitFor({ timeout: 30_000 });
    // The run is over: the stream it was reading stopped, the finished one stays done.
    await page.locator('tr[data-stream="orders"] [data-phase="stopped"]').waitFor();
    expect(await page.locator('tr[data-stream="customers"] [data-phase="done"]').count()).toBe(1);
    const runs = await project.call<{ status: string; rows: number }[]>('pipelines/live/runs');
    expect(runs.body[0]?.status).toBe('cancelled');
    expect(runs.body[0]?.rows).toBeLessThan(5_020_100);
    expect(pageErrors).toEqual([]);
  });
});
