import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RestConfig } from '../src/index.js';
import { ids, json, makeItems, readAll, serve } from './helpers.js';

describe('errors and limits', () => {
  it('429 with Retry-After: waits as asked, then the page succeeds and pagination goes on', async () => {
    let throttled = false;
    const server = await serve((_req, res, url) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      if (page === 2 && !throttled) {
        throttled = true;
        return json(res, 429, { message: 'slow down' }, { 'retry-after': '1' });
      }
      json(res, 200, { data: makeItems(9).slice((page - 1) * 3, page * 3) });
    });
    const { records, logs } = await readAll({
      client: { base_url: server.url, paginator: { type: 'page_number', page_size: 3 } },
      resources: [{ name: 'items', primary_key: 'id', infer_schema: false }],
    });
    expect(ids(records['items'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [throttledAt, retriedAt] = server.requests.filter((r) => r.url.searchParams.get('page') === '2').map((r) => r.at) as [
      number,
      number,
    ];
    expect(retriedAt - throttledAt).toBeGreaterThanOrEqual(950);
    expect(logs.join('\n')).toMatch(/HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
  });

  it("response rules: a busy body is retried, a 404 child partition ignored, a plan error fails with the rule's message", async () => {
    let busy = 2;
    const server = await serve((_req, res, url) => {
      if (url.pathname === '/projects') return json(res, 200, [{ id: 1 }, { id: 2 }, { id: 3 }]);
      if (url.pathname === '/projects/2/tasks') return json(res, 404, { message: 'project archived' });
      if (url.pathname === '/projects/3/tasks' && busy-- > 0) return json(res, 200, { error: { code: 'busy' } });
      if (url.pathname === '/billing') return json(res, 402, { message: 'Payment required' });
      json(res, 200, { data: [{ id: Number(url.pathname.split('/')[2]) * 10 }] });
    });
    const base = {
      client: { base_url: server.url, paginator: { type: 'single_page' as const }, backoff_base_seconds: 0.01 },
      resource_defaults: { primary_key: 'id', infer_schema: false },
    };
    const { records } = await readAll({
      ...base,
      resources: [
        { name: 'projects' },
        {
          name: 'tasks',
          endpoint: {
            path: 'projects/{resources.projects.id}/tasks',
            response_actions: [
              { status_code: 404, action: 'ignore' },
              { body_filter: "@.error.code == 'busy'", action: 'retry', message: 'the project is busy' },
            ],
          },
        },
      ],
    });
    expect(ids(records['tasks'])).toEqual([10, 30]);
    expect(server.requests.filter((r) => r.url.pathname === '/projects/3/tasks')).toHaveLength(3);

    const error = await readAll({
      ...base,
      resources: [
        {
          name: 'billing',
          endpoint: {
            response_actions: [{ status_code: [402, 403], action: 'fail', message: 'billing needs the Pro plan; deselect the stream' }],
          },
        },
      ],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'HTTP_RESPONSE_RULE',
      stream: 'billing',
      message: expect.stringContaining('billing needs the Pro plan'),
    });
  });

  it('the request budget spaces requests; concurrency overlaps independent child requests', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await serve(async (_req, res, url) => {
      if (url.pathname === '/parents') return json(res, 200, makeItems(16));
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(40);
      inFlight--;
      json(res, 200, [{ id: Number(url.pathname.split('/')[2]) }]);
    });
    const manifest = (concurrency: number, budget?: number): RestConfig => ({
      client: { base_url: server.url, paginator: { type: 'single_page' as const }, ...(budget ? { max_requests_per_second: budget } : {}) },
      resources: [
        { name: 'parents', primary_key: 'id', infer_schema: false },
        {
          name: 'children',
          primary_key: 'id',
          infer_schema: false,
          concurrency,
          endpoint: { path: 'parents/{resources.parents.id}/child' },
        },
      ],
    });
    const started = performance.now();
    const fast = await readAll(manifest(8));
    const elapsed = performance.now() - started;
    expect(ids(fast.records['children']).sort((a, b) => Number(a) - Number(b))).toEqual(makeItems(16).map((i) => i['id']));
    expect(most).toBeGreaterThanOrEqual(6);
    expect(elapsed).toBeLessThan(16 * 40);

    server.requests.length = 0;
    await readAll(manifest(1, 20));
    const times = server.requests.map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // 20 requests a second: 50 ms apart on average (arrival times jitter a little on a busy machine).
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(45 * gaps.length);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(25);
  });
});

describe('concurrent pages', () => {
  it('a top-level stream with a page count requests its pages `concurrency` at a time, records still in page order', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await serve(async (_req, res, url) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(30);
      inFlight--;
      const page = Number(url.searchParams.get('page'));
      json(res, 200, { data: makeItems(40).slice((page - 1) * 4, page * 4), pages: 10 });
    });
    const { records } = await readAll({
      client: { base_url: server.url },
      resources: [
        {
          name: 'items',
          primary_key: 'id',
          infer_schema: false,
          concurrency: 5,
          endpoint: { paginator: { type: 'page_number', total_path: 'pages' } },
        },
      ],
    });
    expect(ids(records['items'])).toEqual(makeItems(40).map((i) => i['id']));
    expect(most).toBe(5);
  });
});
