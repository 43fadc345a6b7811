import { describe, expect, it } from 'vitest';
import type { RestConfig } from '../src/index.js';
import { ids, json, makeItems, readAll, serve } from './helpers.js';

const items = makeItems(23);
const SIZE = 5;
const page = (offset: number) => items.slice(offset, offset + SIZE);
const more = (offset: number) => offset + SIZE < items.length;
const ALL = items.map((i) => i['id']);

/** One API serving the same 23 items with every pagination style, 5 a page. */
async function api() {
  return serve((_req, res, url, body) => {
    const q = url.searchParams;
    const n = (name: string, fallback = 0) => Number(q.get(name) ?? fallback);
    switch (url.pathname.split('/')[1]) {
      case 'json_link': {
        const at = n('after');
        return json(res, 200, { results: page(at), links: { next: more(at) ? `/json_link?after=${at + SIZE}` : null } });
      }
      case 'header_link': {
        const at = n('after');
        return json(
          res,
          200,
          page(at),
          more(at) ? { link: `</header_link?after=${at + SIZE}>; rel="next", </header_link>; rel="first"` } : {},
        );
      }
      case 'header_cursor': {
        const at = n('cursor');
        return json(res, 200, page(at), more(at) ? { 'x-next-cursor': String(at + SIZE) } : {});
      }
      case 'cursor_query': {
        const at = Number((q.get('after') ?? 'c0').slice(1));
        return json(res, 200, { data: page(at), meta: { next: more(at) ? `c${at + SIZE}` : null } });
      }
      case 'cursor_header': {
        const at = Number(String(_req.headers['x-cursor'] ?? 'c0').slice(1));
        return json(res, 200, { data: page(at), meta: { next: more(at) ? `c${at + SIZE}` : null } });
      }
      case 'cursor_body': {
        const at = Number(String((JSON.parse(body || '{}') as { after?: string }).after ?? 'c0').slice(1));
        return json(res, 200, { data: page(at), meta: { next: more(at) ? `c${at + SIZE}` : null } });
      }
      case 'cursor_path': {
        const at = Number(url.pathname.split('/')[2] ?? 0);
        return json(res, 200, { data: page(at), next_path: more(at) ? `cursor_path/${at + SIZE}` : null });
      }
      case 'offset':
        return json(res, 200, { data: items.slice(n('offset'), n('offset') + n('limit')), total: items.length });
      case 'page_number': {
        const p = n('page');
        return json(res, 200, { data: items.slice(p * SIZE, (p + 1) * SIZE), total_pages: Math.ceil(items.length / SIZE) });
      }
      case 'page_size': {
        const p = n('p', 1) - 1;
        return json(res, 200, { data: items.slice(p * n('per_page'), (p + 1) * n('per_page')) });
      }
      case 'single':
        return json(res, 200, { data: items });
      case 'auto_cursor': {
        const at = Number(q.get('cursor') ?? 0);
        return json(res, 200, { data: page(at), next_cursor: more(at) ? String(at + SIZE) : '' });
      }
      case 'stop': {
        const at = n('after');
        // Zendesk-style: a cursor is always sent; end_of_stream says when to stop.
        return json(res, 200, { data: page(at), after_cursor: String(at + SIZE), end_of_stream: !more(at) });
      }
      default:
        return json(res, 404, { message: 'no such path' });
    }
  });
}

function manifest(url: string, resources: RestConfig['resources']): RestConfig {
  return { client: { base_url: url }, resources, resource_defaults: { primary_key: 'id' } };
}

describe('paginators: every one follows its pages to the last, exactly once each', () => {
  const cases: [string, NonNullable<RestConfig['resources']>[number], number][] = [
    [
      'json_link',
      { name: 'json_link', endpoint: { path: 'json_link', paginator: { type: 'json_link', next_url_path: '$.links.next' } } },
      5,
    ],
    ['header_link', { name: 'header_link', endpoint: { path: 'header_link', paginator: { type: 'header_link' } } }, 5],
    [
      'header_cursor',
      { name: 'header_cursor', endpoint: { path: 'header_cursor', paginator: { type: 'header_cursor', cursor_key: 'x-next-cursor' } } },
      5,
    ],
    [
      'cursor → query param',
      {
        name: 'cursor_query',
        endpoint: { path: 'cursor_query', paginator: { type: 'cursor', cursor_path: 'meta.next', cursor_param: 'after' } },
      },
      5,
    ],
    [
      'cursor → header',
      {
        name: 'cursor_header',
        endpoint: {
          path: 'cursor_header',
          paginator: { type: 'cursor', cursor_path: 'meta.next', cursor_param: 'x-cursor', cursor_location: 'header' },
        },
      },
      5,
    ],
    [
      'cursor → body field',
      {
        name: 'cursor_body',
        endpoint: {
          path: 'cursor_body',
          method: 'POST',
          json: { filter: 'all' },
          paginator: { type: 'cursor', cursor_path: 'meta.next', cursor_body_path: 'after' },
        },
      },
      5,
    ],
    [
      'cursor → path',
      {
        name: 'cursor_path',
        endpoint: { path: 'cursor_path/0', paginator: { type: 'cursor', cursor_path: 'next_path', cursor_location: 'path' } },
      },
      5,
    ],
    [
      'offset with total_path',
      { name: 'offset', endpoint: { path: 'offset', paginator: { type: 'offset', limit: 5, total_path: 'total' } } },
      5,
    ],
    [
      'page_number from base_page 0 with total_path',
      {
        name: 'page_number',
        endpoint: { path: 'page_number', paginator: { type: 'page_number', base_page: 0, total_path: 'total_pages' } },
      },
      5,
    ],
    [
      'page_number with page_size (a short page ends)',
      { name: 'page_size', endpoint: { path: 'page_size', paginator: { type: 'page_number', page_param: 'p', page_size: 10 } } },
      3,
    ],
    ['single_page', { name: 'single', endpoint: { path: 'single', paginator: { type: 'single_page' } } }, 1],
    [
      'stop condition (stop_path) on a cursor that never ends',
      {
        name: 'stop',
        endpoint: {
          path: 'stop',
          paginator: { type: 'cursor', cursor_path: 'after_cursor', cursor_param: 'after', stop_path: 'end_of_stream' },
        },
      },
      5,
    ],
  ];
  for (const [label, resource, requests] of cases) {
    it(label, async () => {
      const server = await api();
      const { records } = await readAll(manifest(server.url, [{ ...resource, infer_schema: false }]));
      expect(ids(records[resource.name])).toEqual(ALL);
      expect(server.requests).toHaveLength(requests);
    });
  }

  it('maximum_offset and maximum_page stop early', async () => {
    const server = await api();
    const { records } = await readAll(
      manifest(server.url, [
        { name: 'offset', infer_schema: false, endpoint: { paginator: { type: 'offset', limit: 5, maximum_offset: 10 } } },
        { name: 'page_number', infer_schema: false, endpoint: { paginator: { type: 'page_number', base_page: 0, maximum_page: 2 } } },
      ]),
    );
    expect(ids(records['offset'])).toEqual(ALL.slice(0, 10));
    expect(ids(records['page_number'])).toEqual(ALL.slice(0, 15));
  });

  it('auto detects a Link header, a next URL in the body and a next cursor, and logs what it found', async () => {
    const server = await api();
    const { records, logs } = await readAll(
      manifest(server.url, [
        { name: 'header_link', infer_schema: false },
        { name: 'json_link', infer_schema: false, endpoint: { data_selector: 'results' } },
        { name: 'auto_cursor', infer_schema: false },
        { name: 'single', infer_schema: false },
      ]),
    );
    for (const stream of ['header_link', 'json_link', 'auto_cursor', 'single']) expect(ids(records[stream]), stream).toEqual(ALL);
    expect(logs.join('\n')).toMatch(/paginator detected: header_link/);
    expect(logs.join('\n')).toMatch(/paginator detected: json_link \(links\.next\)/);
    expect(logs.join('\n')).toMatch(/paginator detected: cursor \(next_cursor → cursor\)/);
  });
});
