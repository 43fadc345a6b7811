import { describe, expect, it } from 'vitest';
import type { RestConfig } from '../src/index.js';
import { ids, json, readAll, serve } from './helpers.js';

const at = (day: number) => new Date(Date.UTC(2024, 0, day)).toISOString().replace('.000Z', 'Z');

function world() {
  const tickets = [1, 2, 3].map((id) => ({ id, subject: `ticket ${id}`, updated_at: at(id) }));
  const comments = tickets.flatMap((t) => [1, 2].map((n) => ({ id: t.id * 100 + n, ticket_id: t.id, created_at: at(t.id) })));
  return { tickets, comments };
}

async function api(data: ReturnType<typeof world>) {
  return serve((_req, res, url) => {
    if (url.pathname === '/tickets') return json(res, 200, { tickets: data.tickets });
    const match = /^\/tickets\/(\d+)\/comments$/.exec(url.pathname);
    if (match) {
      const since = url.searchParams.get('since') ?? '';
      return json(res, 200, { comments: data.comments.filter((c) => c.ticket_id === Number(match[1]) && c.created_at >= since) });
    }
    if (url.pathname === '/audits') return json(res, 200, { audits: [{ id: Number(url.searchParams.get('ticket')) * 7 }] });
    json(res, 404, {});
  });
}

function manifest(url: string, child: Partial<NonNullable<RestConfig['resources']>[number]> = {}): RestConfig {
  return {
    client: { base_url: url, paginator: { type: 'single_page' } },
    resource_defaults: { primary_key: 'id' },
    resources: [
      { name: 'tickets', endpoint: { data_selector: 'tickets', incremental: { cursor_path: 'updated_at' } } },
      {
        name: 'comments',
        endpoint: {
          path: 'tickets/{resources.tickets.id}/comments',
          data_selector: 'comments',
          incremental: { cursor_path: 'created_at', start_param: 'since' },
        },
        include_from_parent: ['subject'],
        ...child,
      },
      { name: 'audits', endpoint: { path: 'audits', params: { ticket: '{resources.tickets.id}' }, data_selector: 'audits' } },
    ],
  };
}

describe('parent and child streams', () => {
  it('reads a child per parent record, with {resources.<parent>.<field>} in the path or params and include_from_parent', async () => {
    const data = world();
    const server = await api(data);
    const { records, catalog } = await readAll(manifest(server.url));
    expect(ids(records['comments'])).toEqual([101, 102, 201, 202, 301, 302]);
    expect(records['comments']?.[0]).toMatchObject({ ticket_id: 1, _tickets_subject: 'ticket 1' });
    expect(ids(records['audits'])).toEqual([7, 14, 21]);
    expect(catalog.streams.find((s) => s.stream === 'comments')?.schema.properties?.['_tickets_subject']).toEqual({
      type: ['null', 'string'],
    });
  });

  it("keeps the child's bookmark per parent partition, and a second run asks each parent from its own bookmark", async () => {
    const data = world();
    const server = await api(data);
    const config = manifest(server.url);
    const first = await readAll(config);
    const partitions = first.state.bookmarks['comments']?.['partitions'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(partitions).sort()).toEqual(['id=1', 'id=2', 'id=3']);
    expect(partitions['id=2']?.['replication_key_value']).toBe(at(2));

    data.comments.push({ id: 203, ticket_id: 2, created_at: at(9) });
    server.requests.length = 0;
    const second = await readAll(config, first.state);
    expect(server.requests.find((r) => r.url.pathname === '/tickets/3/comments')?.url.searchParams.get('since')).toBe(at(3));
    // Each partition re-reads its bookmark's value (inclusive) and anything newer.
    expect(ids(second.records['comments'])).toEqual([101, 102, 201, 202, 203, 301, 302]);
    expect(
      (second.state.bookmarks['comments']?.['partitions'] as Record<string, Record<string, unknown>>)['id=2']?.['replication_key_value'],
    ).toBe(at(9));
  });

  it('incremental_dependency: the next run reads only the children of parents whose cursor moved', async () => {
    const data = world();
    const server = await api(data);
    const config = manifest(server.url, { incremental_dependency: true });
    const first = await readAll(config);
    expect(ids(first.records['comments'])).toHaveLength(6);

    data.tickets[1] = { ...data.tickets[1], updated_at: at(9) } as (typeof data.tickets)[number];
    data.comments.push({ id: 203, ticket_id: 2, created_at: at(9) });
    server.requests.length = 0;
    const second = await readAll(config, first.state);
    const childPaths = server.requests.map((r) => r.url.pathname).filter((p) => p.endsWith('/comments'));
    // Discovery samples the first partition; the sync itself asks only ticket 2.
    expect(childPaths.slice(1)).toEqual(['/tickets/2/comments']);
    expect(ids(second.records['comments'])).toEqual([201, 202, 203]);
  });
});
