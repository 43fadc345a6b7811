// Mage's `api` source config (one URL: url, method, query, payload, headers, response_parser, columns), as its docs
// show it, read by source-rest against a local server.
import { describe, expect, it } from 'vitest';
import type { RestConfig } from '../src/index.js';
import { json, readAll, serve } from './helpers.js';

const docs = {
  response: {
    numFound: 2,
    docs: [
      { id: '10.1371/a', author_display: ['Rayna I. Kraeva', 'Dragomir B. Krastev'], score: 6.7 },
      { id: '10.1371/b', author_display: ['Ada Lovelace'], score: 5.1 },
    ],
  },
};

describe("Mage's api source", () => {
  it('GET with query (merged into the url’s), headers, and response_parser in dot notation; values become records by columns', async () => {
    const server = await serve((_req, res, url) =>
      url.pathname === '/search' ? json(res, 200, docs) : json(res, 404, { error: 'not found' }),
    );
    const config = {
      url: `${server.url}/search?fl=id`,
      query: { q: 'title:DNA' },
      headers: { 'Content-Type': 'application/json', token: 'abc123' },
      response_parser: 'response.docs[0].author_display',
      columns: ['author_display'],
    } as RestConfig;
    const { records, catalog } = await readAll(config);
    expect(catalog.streams.map((s) => s.stream)).toEqual(['api']);
    expect(records['api']).toEqual([{ author_display: 'Rayna I. Kraeva' }, { author_display: 'Dragomir B. Krastev' }]);
    const request = server.requests.at(-1);
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({ fl: 'id', q: 'title:DNA' });
    expect(request?.headers['token']).toBe('abc123');
  });

  it('without response_parser the answer’s list is the records; lists of values get col0, col1… without columns', async () => {
    const server = await serve((_req, res, url) =>
      url.pathname === '/coins/markets'
        ? json(res, 200, [
            { id: 'bitcoin', current_price: 17154.23 },
            { id: 'ether', current_price: 1200.5 },
          ])
        : json(res, 200, {
            rows: [
              ['a', 1],
              ['b', 2, true],
            ],
          }),
    );
    const coins = await readAll({ url: `${server.url}/coins/markets`, query: { vs_currency: 'usd' } } as RestConfig);
    expect(coins.records['api']?.map((r) => r['id'])).toEqual(['bitcoin', 'ether']);
    expect(server.requests.at(-1)?.url.searchParams.get('vs_currency')).toBe('usd');

    const rows = await readAll({ url: `${server.url}/rows`, response_parser: 'rows' } as RestConfig);
    expect(rows.records['api']).toEqual([
      { col0: 'a', col1: 1, col2: null },
      { col0: 'b', col1: 2, col2: true },
    ]);
  });

  it('POST sends the payload as JSON; url with client/resources, or Mage keys without url, are refused', async () => {
    const server = await serve((req, res, _url, body) =>
      req.method === 'POST' ? json(res, 200, { users: [{ first_name: JSON.parse(body).user.first_name, power: 10 }] }) : json(res, 405, {}),
    );
    const { records } = await readAll({
      url: `${server.url}/users`,
      method: 'POST',
      payload: { user: { first_name: 'Urza', power: 10 } },
      headers: { 'Content-Type': 'application/json' },
      response_parser: 'users',
    } as RestConfig);
    expect(records['api']).toEqual([{ first_name: 'Urza', power: 10 }]);
    expect(server.requests.at(-1)?.method).toBe('POST');

    await expect(readAll({ url: server.url, client: { base_url: server.url }, resources: [{ name: 'x' }] } as RestConfig)).rejects.toThrow(
      /"url" \(Mage's api source\) and client\/resources both describe the API/,
    );
    await expect(readAll({ query: { a: '1' } } as RestConfig)).rejects.toThrow(/query \(Mage's api source\) need "url"/);
  });

  it('a CSV answer: has_header false names the rows by columns (col0… without), separator splits the fields', async () => {
    const csv = (res: import('node:http').ServerResponse, text: string): void =>
      void res.writeHead(200, { 'content-type': 'text/csv' }).end(text);
    const server = await serve((_req, res, url) =>
      url.pathname === '/semicolons' ? csv(res, 'id;name\n1;"Lovelace; Ada"\n2;Hopper\n') : csv(res, '1|Ada\n2|Grace\n'),
    );
    const semicolons = await readAll({ url: `${server.url}/semicolons`, has_header: true, separator: ';' } as RestConfig);
    expect(semicolons.records['api']).toEqual([
      { id: '1', name: 'Lovelace; Ada' },
      { id: '2', name: 'Hopper' },
    ]);
    const named = await readAll({ url: `${server.url}/pipes`, has_header: false, separator: '|', columns: ['id', 'name'] } as RestConfig);
    expect(named.records['api']).toEqual([
      { id: '1', name: 'Ada' },
      { id: '2', name: 'Grace' },
    ]);
    const unnamed = await readAll({ url: `${server.url}/pipes`, has_header: false, separator: '|' } as RestConfig);
    expect(unnamed.records['api']).toEqual([
      { col0: '1', col1: 'Ada' },
      { col0: '2', col1: 'Grace' },
    ]);
  });

  it('schema_discovery_sample_rows: the records sampled to infer the schema (a field only in later records is not in it)', async () => {
    const server = await serve((_req, res) => json(res, 200, [{ id: 1 }, { id: 2 }, { id: 3, late: 'x' }]));
    const few = await readAll({ url: `${server.url}/items`, schema_discovery_sample_rows: 2 } as RestConfig);
    expect(Object.keys(few.catalog.streams[0]?.schema.properties ?? {})).toEqual(['id']);
    const all = await readAll({ url: `${server.url}/items`, schema_discovery_sample_rows: 100 } as RestConfig);
    expect(Object.keys(all.catalog.streams[0]?.schema.properties ?? {})).toEqual(['id', 'late']);
  });

  it('pagination_config cursor: next_cursor_path feeds cursor_param from initial_cursor_value until there is none', async () => {
    const pages: Record<string, unknown> = {
      start: { items: [{ id: 1 }, { id: 2 }], meta: { next_cursor: 'b' } },
      b: { items: [{ id: 3 }], meta: {} },
    };
    const server = await serve((_req, res, url) => json(res, 200, pages[url.searchParams.get('next') ?? ''] ?? { items: [] }));
    const { records } = await readAll({
      url: `${server.url}/items`,
      response_parser: 'items',
      pagination_config: { type: 'cursor', cursor_param: 'next', initial_cursor_value: 'start', next_cursor_path: 'meta.next_cursor' },
    } as RestConfig);
    expect(records['api']?.map((r) => r['id'])).toEqual([1, 2, 3]);
    expect(server.requests.map((r) => r.url.searchParams.get('next'))).toEqual(expect.arrayContaining(['start', 'b']));
  });

  it('pagination_config page: page numbers up to the page count at max_value_path; offsets by increment_by until a short page', async () => {
    const server = await serve((_req, res, url) => {
      if (url.pathname === '/pages') {
        const page = Number(url.searchParams.get('page'));
        return json(res, 200, { data: page <= 3 ? [{ page }] : [{ page: 'past the end' }], total_pages: 3 });
      }
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      return json(res, 200, { rows: Array.from({ length: Math.max(0, Math.min(limit, 5 - offset)) }, (_, i) => ({ n: offset + i })) });
    });
    const paged = await readAll({
      url: `${server.url}/pages`,
      response_parser: 'data',
      pagination_config: {
        type: 'page',
        param: 'page',
        initial_value: 1,
        increment_by: 1,
        stop_condition: { type: 'max_value', max_value_path: 'total_pages' },
      },
    } as RestConfig);
    expect(paged.records['api']?.map((r) => r['page'])).toEqual([1, 2, 3]);
    const offsets = await readAll({
      url: `${server.url}/rows`,
      response_parser: 'rows',
      pagination_config: {
        type: 'page',
        param: 'offset',
        initial_value: 0,
        increment_by: 2,
        limit_param: 'limit',
        limit_value: 2,
        stop_condition: { type: 'empty' },
      },
    } as RestConfig);
    expect(offsets.records['api']?.map((r) => r['n'])).toEqual([0, 1, 2, 3, 4]);
    await expect(
      readAll({
        url: `${server.url}/rows`,
        pagination_config: { type: 'page', param: 'offset', initial_value: 0, increment_by: 100 },
      } as RestConfig),
    ).rejects.toThrow(/an offset growing by 100 needs limit_param and limit_value 100/);
    await expect(
      readAll({
        url: `${server.url}/rows`,
        pagination_config: { type: 'cursor', cursor_params: ['a', 'b'], next_cursor_path: { a: 'x', b: 'y' } },
      } as RestConfig),
    ).rejects.toThrow(/several cursors \(cursor_params\) are not supported/);
  });
});
