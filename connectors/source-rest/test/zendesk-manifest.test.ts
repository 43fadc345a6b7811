// Zendesk Support (shipped as @mage-int/source-zendesk, whose manifest builds on this one) must be expressible as a manifest of this source: the
// incremental cursor export for tickets and users, cursor pages for groups and ticket metrics, comments as a child of
// tickets, API-token basic auth. This test holds that manifest against a stand-in answering in Zendesk's shapes.
import { describe, expect, it } from 'vitest';
import type { RestConfig } from '../src/index.js';
import { ids, json, readAll, serve } from './helpers.js';

const at = (day: number) => new Date(Date.UTC(2024, 0, day)).toISOString().replace('.000Z', 'Z');
const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function zendeskManifest(url: string): RestConfig {
  const cursorPages = { type: 'json_link' as const, next_url_path: 'links.next', has_more_path: 'meta.has_more' };
  const pageSize = { 'page[size]': 2 };
  return {
    client: { base_url: `${url}/api/v2/`, auth: { type: 'http_basic', username: 'agent@example.com/token', password: 'zd-token' } },
    resource_defaults: { primary_key: 'id' },
    resources: [
      {
        name: 'tickets',
        endpoint: {
          path: 'incremental/tickets/cursor.json',
          data_selector: 'tickets',
          paginator: { type: 'json_link', next_url_path: 'after_url', stop_path: 'end_of_stream' },
          incremental: { cursor_path: 'updated_at', start_param: 'start_time', value_format: 'epoch_seconds', initial_value: at(1) },
        },
      },
      { name: 'groups', endpoint: { path: 'groups.json', params: pageSize, data_selector: 'groups', paginator: cursorPages } },
      {
        name: 'ticket_metrics',
        endpoint: { path: 'ticket_metrics.json', params: pageSize, data_selector: 'ticket_metrics', paginator: cursorPages },
      },
      {
        name: 'ticket_comments',
        endpoint: {
          path: 'tickets/{resources.tickets.id}/comments.json',
          params: pageSize,
          data_selector: 'comments',
          paginator: cursorPages,
        },
        include_from_parent: ['id'],
        concurrency: 4,
      },
    ],
  };
}

describe('a Zendesk Support manifest', () => {
  it('reads the cursor export to end_of_stream from an epoch start_time, cursor pages to has_more false, and comments per ticket', async () => {
    const tickets = [1, 2, 3, 4, 5].map((d) => ({ id: d, subject: `t${d}`, updated_at: at(d) }));
    const server = await serve((req, res, url) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('agent@example.com/token:zd-token').toString('base64')}`)
        return json(res, 401, { error: "Couldn't authenticate you" });
      const path = url.pathname.replace('/api/v2/', '');
      if (path === 'incremental/tickets/cursor.json') {
        // The first page starts at start_time; later ones follow after_url (its cursor) until end_of_stream.
        const from = url.searchParams.has('cursor')
          ? Number(url.searchParams.get('cursor'))
          : tickets.findIndex((t) => epoch(t.updated_at) >= Number(url.searchParams.get('start_time')));
        const page = from < 0 ? [] : tickets.slice(from, from + 2);
        const next = from < 0 ? tickets.length : from + page.length;
        return json(res, 200, {
          tickets: page,
          after_cursor: String(next),
          after_url: `/api/v2/incremental/tickets/cursor.json?cursor=${next}`,
          end_of_stream: next >= tickets.length,
        });
      }
      const cursor = Number(url.searchParams.get('page[after]') ?? 0);
      const size = Number(url.searchParams.get('page[size]'));
      const list = (name: string, all: unknown[]) => {
        const page = all.slice(cursor, cursor + size);
        const more = cursor + size < all.length;
        json(res, 200, {
          [name]: page,
          meta: { has_more: more, after_cursor: String(cursor + size) },
          links: { next: more ? `/api/v2/${path}?page[size]=${size}&page[after]=${cursor + size}` : null },
        });
      };
      if (path === 'groups.json') return list('groups', [{ id: 10 }, { id: 11 }, { id: 12 }]);
      if (path === 'ticket_metrics.json')
        return list(
          'ticket_metrics',
          tickets.map((t) => ({ id: 100 + t.id, ticket_id: t.id })),
        );
      const comments = /^tickets\/(\d+)\/comments\.json$/.exec(path);
      if (comments)
        return list(
          'comments',
          [1, 2, 3].map((n) => ({ id: Number(comments[1]) * 10 + n, body: 'hi' })),
        );
      json(res, 404, { error: 'InvalidEndpoint' });
    });
    const first = await readAll(zendeskManifest(server.url));
    expect(ids(first.records['tickets'])).toEqual([1, 2, 3, 4, 5]);
    expect(ids(first.records['groups'])).toEqual([10, 11, 12]);
    expect(first.records['ticket_metrics']).toHaveLength(5);
    expect(first.records['ticket_comments']).toHaveLength(15);
    expect(first.records['ticket_comments']?.[0]).toMatchObject({ id: 11, _tickets_id: 1 });
    expect(server.requests.find((r) => r.url.pathname.endsWith('cursor.json'))?.url.searchParams.get('start_time')).toBe(
      String(epoch(at(1))),
    );

    tickets.push({ id: 6, subject: 't6', updated_at: at(9) });
    server.requests.length = 0;
    const second = await readAll(zendeskManifest(server.url), first.state);
    expect(ids(second.records['tickets'])).toEqual([5, 6]);
    expect(
      server.requests.filter((r) => r.url.pathname.endsWith('cursor.json')).map((r) => r.url.searchParams.get('start_time')),
    ).toContain(String(epoch(at(5))));
  });
});
