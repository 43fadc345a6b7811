import { describe, expect, it } from 'vitest';
import type { State } from '@mage-int/core';
import type { RestConfig } from '../src/index.js';
import { ids, json, readAll, serve } from './helpers.js';

interface Event {
  id: number;
  updated_at: string;
  [k: string]: unknown;
}

const at = (day: number, hour = 0) => new Date(Date.UTC(2024, 0, day, hour)).toISOString().replace('.000Z', 'Z');

/** Events filtered by `since` (inclusive) and `until` (exclusive) unless `filters` is false; 3 a page. */
async function api(events: Event[], filters = true) {
  return serve((_req, res, url) => {
    const since = url.searchParams.get('since');
    const until = url.searchParams.get('until');
    const matching = events.filter((e) => !filters || ((!since || e.updated_at >= since) && (!until || e.updated_at < until)));
    const offset = Number(url.searchParams.get('offset') ?? 0);
    json(res, 200, { data: matching.slice(offset, offset + 3), total: matching.length });
  });
}

function manifest(
  url: string,
  incremental: NonNullable<NonNullable<NonNullable<RestConfig['resources']>[number]['endpoint']>['incremental']>,
): RestConfig {
  return {
    client: { base_url: url, paginator: { type: 'offset', limit: 3, total_path: 'total' } },
    resources: [{ name: 'events', primary_key: 'id', endpoint: { incremental } }],
  };
}

const bookmark = (state: State) => state.bookmarks['events']?.['replication_key_value'];

describe('incremental', () => {
  it('a second run asks for records since the bookmark minus the lookback and reads only those', async () => {
    const events: Event[] = [1, 2, 3, 4, 5].map((d) => ({ id: d, updated_at: at(d) }));
    const server = await api(events);
    const config = manifest(server.url, { cursor_path: 'updated_at', start_param: 'since', initial_value: at(2), lookback_seconds: 3600 });
    const first = await readAll(config);
    expect(ids(first.records['events'])).toEqual([2, 3, 4, 5]);
    expect(first.catalog.streams[0]?.replication_key).toBe('updated_at');
    expect(bookmark(first.state)).toBe(at(5));

    events.push({ id: 6, updated_at: at(6) }, { id: 2, updated_at: at(6, 1) });
    server.requests.length = 0;
    const second = await readAll(config, first.state);
    // 5 is inside the lookback window: read again (and merged by key).
    expect(ids(second.records['events'])).toEqual([5, 6, 2]);
    expect(Date.parse(server.requests.at(-1)?.url.searchParams.get('since') ?? '')).toBe(Date.parse(at(4, 23)));
    expect(bookmark(second.state)).toBe(at(6, 1));
  });

  it('date windows: one run of requests per step with start and end params; the bookmark passes each finished window', async () => {
    const events: Event[] = [1, 2, 3, 4].flatMap((d) => [
      { id: d * 10, updated_at: at(d, 6) },
      { id: d * 10 + 1, updated_at: at(d, 18) },
    ]);
    const server = await api(events);
    const config = manifest(server.url, {
      cursor_path: 'updated_at',
      start_param: 'since',
      end_param: 'until',
      initial_value: at(1),
      end_value: at(4),
      step: 'P1D',
    });
    const { records, messages } = await readAll(config);
    expect(ids(records['events'])).toEqual([10, 11, 20, 21, 30, 31]);
    const windows = server.requests
      .filter((r) => r.url.searchParams.get('offset') === '0')
      .map((r) => `${r.url.searchParams.get('since')}..${r.url.searchParams.get('until')}`);
    expect(windows).toContain(`${at(1)}..${at(2)}`);
    expect(windows).toContain(`${at(3)}..${at(4)}`);
    const marks = messages.flatMap((m) => (m.type === 'STATE' ? [bookmark(m.value as State)] : []));
    expect(marks).toContain(at(2));
    expect(marks).toContain(at(3));
  });

  it('client-side filtering when the API cannot filter: records before the start or from end_value on are dropped', async () => {
    const events: Event[] = [1, 2, 3, 4, 5].map((d) => ({ id: d, updated_at: at(d) }));
    const server = await api(events, false);
    const config = manifest(server.url, { cursor_path: 'updated_at', initial_value: at(2), end_value: at(5), client_side_filter: true });
    const first = await readAll(config);
    expect(ids(first.records['events'])).toEqual([2, 3, 4]);
    const second = await readAll(config, first.state);
    expect(ids(second.records['events'])).toEqual([4]);
  });

  it('epoch-second cursors with {incremental.start_value} in params, sent as the API wants them', async () => {
    const events = [100, 200, 300].map((t) => ({ id: t, updated_at: at(1), ts: t }));
    const server = await serve((_req, res, url) =>
      json(res, 200, { data: events.filter((e) => e.ts >= Number(url.searchParams.get('from'))) }),
    );
    const config: RestConfig = {
      client: { base_url: server.url, paginator: { type: 'single_page' } },
      resources: [
        {
          name: 'ticks',
          primary_key: 'id',
          endpoint: { params: { from: '{incremental.start_value}' }, incremental: { cursor_path: 'ts', initial_value: 150 } },
        },
      ],
    };
    const { records, state } = await readAll(config);
    expect(ids(records['ticks'])).toEqual([200, 300]);
    expect(server.requests.at(-1)?.url.searchParams.get('from')).toBe('150');
    expect(state.bookmarks['ticks']?.['replication_key_value']).toBe(300);
  });
});
