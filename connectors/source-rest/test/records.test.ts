import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ids, json, readAll, serve } from './helpers.js';

const orders = [
  { id: 1, status: 'open', amount: 30, customer: { id: 7, email: 'a@x.io' }, internal: 'x' },
  { id: 2, status: 'void', amount: 10, customer: { id: 8, email: 'b@x.io' }, internal: 'y' },
  { id: 3, status: 'open', amount: 0, customer: { id: 9, email: 'c@x.io' }, internal: 'z' },
  { id: 4, status: 'open', amount: 55, customer: { id: 7, email: 'a@x.io' }, internal: 'w' },
];

async function api() {
  return serve((_req, res, url) => {
    switch (url.pathname) {
      case '/nested':
        return json(res, 200, { response: { pages: [{ rows: orders.slice(0, 2) }, { rows: orders.slice(2) }] } });
      case '/orders':
        return json(res, 200, { data: orders });
      case '/export.jsonl':
        res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(orders.map((o) => JSON.stringify(o)).join('\n') + '\n');
        return;
      case '/export.csv':
        res
          .writeHead(200, { 'content-type': 'text/csv; charset=utf-8' })
          .end('id,name,note\r\n1,Ada,"likes ""quotes"", commas"\r\n2,Bob,"two\nlines"\r\n');
        return;
      case '/export.json.gz':
        res.writeHead(200, { 'content-type': 'application/gzip' }).end(gzipSync(JSON.stringify({ data: orders })));
        return;
      case '/compressed':
        // A gzip Content-Encoding (undone by fetch on the way in).
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify(orders)));
        return;
      default:
        json(res, 404, {});
    }
  });
}

describe('records', () => {
  it('data_selector is an RFC 9535 JSONPath: a wildcard across nested pages picks every row', async () => {
    const server = await api();
    const { records } = await readAll({
      client: { base_url: server.url },
      resources: [
        {
          name: 'nested',
          primary_key: 'id',
          endpoint: { data_selector: '$.response.pages[*].rows[*]', paginator: { type: 'single_page' } },
        },
      ],
    });
    expect(ids(records['nested'])).toEqual([1, 2, 3, 4]);
  });

  it('processing steps: a filter expression, added, removed (nested too) and renamed fields, in order', async () => {
    const server = await api();
    const { records } = await readAll({
      client: { base_url: server.url },
      resources: [
        {
          name: 'orders',
          primary_key: 'id',
          endpoint: { paginator: { type: 'single_page' } },
          processing_steps: [
            { filter: "@.status == 'open' && @.amount > 0" },
            { add_fields: { source: 'shop-eu' } },
            { remove_fields: ['internal', 'customer.email'] },
            { rename_fields: { amount: 'amount_cents' } },
          ],
        },
      ],
    });
    expect(records['orders']).toEqual([
      { id: 1, status: 'open', amount_cents: 30, customer: { id: 7 }, source: 'shop-eu' },
      { id: 4, status: 'open', amount_cents: 55, customer: { id: 7 }, source: 'shop-eu' },
    ]);
  });

  it('JSON Lines, CSV (quotes, commas and newlines in fields), a gzip file and a gzip Content-Encoding', async () => {
    const server = await api();
    const { records } = await readAll({
      client: { base_url: server.url, paginator: { type: 'single_page' } },
      resources: [
        { name: 'lines', endpoint: { path: 'export.jsonl' } },
        { name: 'table', endpoint: { path: 'export.csv' } },
        { name: 'packed', endpoint: { path: 'export.json.gz', data_selector: 'data' } },
        { name: 'encoded', endpoint: { path: 'compressed' } },
      ],
    });
    expect(ids(records['lines'])).toEqual([1, 2, 3, 4]);
    expect(records['table']).toEqual([
      { id: '1', name: 'Ada', note: 'likes "quotes", commas' },
      { id: '2', name: 'Bob', note: 'two\nlines' },
    ]);
    expect(ids(records['packed'])).toEqual([1, 2, 3, 4]);
    expect(ids(records['encoded'])).toEqual([1, 2, 3, 4]);
  });

  it('a data_selector that picks values that are not records fails naming the stream, record and setting', async () => {
    const server = await api();
    const error = await readAll({
      client: { base_url: server.url },
      resources: [
        { name: 'orders', infer_schema: false, endpoint: { data_selector: '$.data[*].status', paginator: { type: 'single_page' } } },
      ],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RECORD_NOT_OBJECT', stream: 'orders', record: 0, field: 'endpoint.data_selector' });
  });
});
