import { generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiKeyAuth,
  basicAuth,
  bearerAuth,
  buildCatalogStream,
  createLogger,
  cursorPaginator,
  emptyState,
  googleServiceAccountAuth,
  headerCursorPaginator,
  HttpClient,
  JwtAuth,
  SessionTokenAuth,
  stopWhen,
  HttpStream,
  linkHeaderPaginator,
  nextUrlPaginator,
  OAuth2Auth,
  offsetPaginator,
  pageNumberPaginator,
  readStreams,
  setMetadata,
  singlePage,
  type Catalog,
  type HttpAuth,
  type HttpClientOptions,
  type Paginator,
  type RecordData,
  type SourceMessage,
  type State,
} from '../src/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** A local HTTP server on a real socket; the handler sees every request. */
async function serve(handler: Handler): Promise<{ url: string; requests: URL[]; headers: IncomingMessage['headers'][] }> {
  const requests: URL[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url);
    headers.push(req.headers);
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, headers };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function logs(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

function client(url: string, extra: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient({
    baseUrl: url,
    logger: logs().logger,
    signal: new AbortController().signal,
    backoffBaseMs: 1,
    random: () => 0,
    ...extra,
  });
}

const items = Array.from({ length: 23 }, (_, i) => ({ id: i + 1, updated_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString() }));

/** Reads every record of an HttpStream through readStreams (FULL_TABLE). */
async function readIds(stream: HttpStream): Promise<unknown[]> {
  const cat: Catalog = {
    streams: [
      buildCatalogStream({
        stream: stream.name,
        schema: { type: 'object', properties: { id: { type: 'integer' } } },
        keyProperties: ['id'],
      }),
    ],
  };
  const ids: unknown[] = [];
  for await (const m of readStreams([stream], cat, emptyState(), { logger: logs().logger, signal: new AbortController().signal }))
    if (m.type === 'RECORD_BATCH') ids.push(...m.records.map((r) => r['id']));
  return ids;
}

describe('paginators follow every page to the last', () => {
  const cases: [string, Paginator, Handler][] = [
    [
      'next URL in the body (relative)',
      nextUrlPaginator({ path: 'nextRecordsUrl' }),
      (_req, res, url) => {
        const from = Number(url.searchParams.get('from') ?? 0);
        json(res, 200, {
          records: items.slice(from, from + 10),
          nextRecordsUrl: from + 10 < items.length ? `/items?from=${from + 10}` : null,
        });
      },
    ],
    [
      'RFC 8288 Link header',
      linkHeaderPaginator(),
      (_req, res, url) => {
        const page = Number(url.searchParams.get('page') ?? 1);
        const link =
          page < 3 ? `<http://x.invalid/ignored>; rel="prev", </items?page=${page + 1}>; rel="next"` : '</items?page=1>; rel="first"';
        json(res, 200, items.slice((page - 1) * 10, page * 10), { link });
      },
    ],
    [
      'cursor from the last record with has_more (Stripe)',
      cursorPaginator({ cursor: { lastRecord: 'id' }, param: 'starting_after', hasMore: 'has_more', limit: { param: 'limit', value: 10 } }),
      (_req, res, url) => {
        const after = Number(url.searchParams.get('starting_after') ?? 0);
        const page = items.filter((i) => i.id > after).slice(0, Number(url.searchParams.get('limit')));
        json(res, 200, { object: 'list', data: page, has_more: page.at(-1)!.id < items.length });
      },
    ],
    [
      'cursor in the body (HubSpot paging.next.after)',
      cursorPaginator({ cursor: 'paging.next.after', param: 'after' }),
      (_req, res, url) => {
        const after = Number(url.searchParams.get('after') ?? 0);
        json(res, 200, {
          results: items.slice(after, after + 10),
          ...(after + 10 < items.length ? { paging: { next: { after: String(after + 10) } } } : {}),
        });
      },
    ],
    [
      'offset and limit with a total',
      offsetPaginator({ limit: 10, totalPath: 'total' }),
      (_req, res, url) => {
        const offset = Number(url.searchParams.get('offset'));
        json(res, 200, { items: items.slice(offset, offset + Number(url.searchParams.get('limit'))), total: items.length });
      },
    ],
    [
      'page number until an empty page',
      pageNumberPaginator({ basePage: 0 }),
      (_req, res, url) => {
        const page = Number(url.searchParams.get('page'));
        json(res, 200, { data: items.slice(page * 10, page * 10 + 10) });
      },
    ],
  ];

  it.each(cases)('%s', async (_name, paginator, handler) => {
    const server = await serve(handler);
    const ids = await readIds(new HttpStream(client(server.url), { name: 'items', path: 'items', paginator }));
    expect(ids).toEqual(items.map((i) => i.id));
    expect(server.requests.length).toBeLessThanOrEqual(4);
  });

  it('single page: one request', async () => {
    const server = await serve((_req, res) => json(res, 200, { data: items }));
    expect(await readIds(new HttpStream(client(server.url), { name: 'items', path: '/v2/items', paginator: singlePage() }))).toHaveLength(
      23,
    );
    expect(server.requests.map((u) => u.pathname)).toEqual(['/v2/items']);
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds and logs the wait, then succeeds', async () => {
    let calls = 0;
    const server = await serve((_req, res) =>
      calls++ === 0 ? json(res, 429, { message: 'slow down' }, { 'retry-after': '1' }) : json(res, 200, { ok: true }),
    );
    const log = logs();
    const started = performance.now();
    await expect(client(server.url, { logger: log.logger }).getJson('x')).resolves.toEqual({ ok: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(log.lines.join('\n')).toMatch(/GET \/x: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
  });

  it('honours Retry-After as an HTTP date and rate-limit reset headers (epoch and delta seconds)', async () => {
    const answers: [number, Record<string, string>][] = [
      [503, { 'retry-after': new Date(Date.now() + 400).toUTCString() }],
      [429, { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) }],
      [429, { 'ratelimit-reset': '0' }],
    ];
    let calls = 0;
    const server = await serve((_req, res) => {
      const answer = answers[calls++];
      if (answer) json(res, answer[0], {}, answer[1]);
      else json(res, 200, { ok: true });
    });
    const log = logs();
    await expect(client(server.url, { logger: log.logger }).getJson('x')).resolves.toEqual({ ok: true });
    expect(log.lines.filter((l) => l.includes('retry')).map((l) => /\(([^)]+)\)$/.exec(l)?.[1])).toEqual([
      'Retry-After',
      'rate-limit reset',
      'rate-limit reset',
    ]);
  });

  it('retries a 500 and a reset connection with backoff', async () => {
    let calls = 0;
    const server = await serve((req, res) => {
      calls++;
      if (calls === 1) return json(res, 500, { error: 'boom' });
      if (calls === 2) return req.socket.destroy();
      json(res, 200, { ok: calls });
    });
    await expect(client(server.url).getJson('x')).resolves.toEqual({ ok: 3 });
  });

  it('gives up after max_retries with the status, the vendor message and the request id', async () => {
    const server = await serve((_req, res) =>
      json(res, 503, { error: { message: 'Service is down for maintenance' } }, { 'request-id': 'req_8F2' }),
    );
    const error = await client(server.url, { maxRetries: 2 })
      .getJson('v1/charges')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_503', status: 503, requestId: 'req_8F2' });
    expect((error as Error).message).toBe(
      'GET /v1/charges answered HTTP 503 after 3 attempts: Service is down for maintenance (request id req_8F2)',
    );
    expect(server.requests).toHaveLength(3);
  });

  it('fails instead of sleeping when the server asks to wait longer than allowed', async () => {
    const server = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    await expect(client(server.url, { maxServerWaitMs: 1000 }).getJson('x')).rejects.toThrow(
      /wait 3600 s \(Retry-After\), longer than allowed/,
    );
  });

  it('times out a request that gets no answer and retries it', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      if (calls++ === 0) return; // never answers
      json(res, 200, { ok: true });
    });
    await expect(client(server.url, { timeoutMs: 200 }).getJson('x')).resolves.toEqual({ ok: true });
    const silent = await serve(() => {});
    await expect(client(silent.url, { timeoutMs: 100, maxRetries: 1 }).getJson('y')).rejects.toMatchObject({
      code: 'HTTP_UNREACHABLE',
      message: 'GET /y failed after 2 attempts: no answer within 100 ms',
    });
  });

  it('waits for the rate-limit window to reset when a success spends the last request of it', async () => {
    let calls = 0;
    const server = await serve((_req, res) =>
      json(
        res,
        200,
        { n: ++calls },
        calls === 1 ? { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' } : { 'x-ratelimit-remaining': '99' },
      ),
    );
    const log = logs();
    const c = client(server.url, { logger: log.logger });
    await c.getJson('x');
    const started = performance.now();
    await c.getJson('x');
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(log.lines.join('\n')).toMatch(/GET \/x: rate limit spent; next request in 1\.0 s/);
  });

  it("HubSpot's rolling window: a 429 or a spent window with X-HubSpot-RateLimit-Remaining 0 waits one interval", async () => {
    const window = {
      'x-hubspot-ratelimit-remaining': '0',
      'x-hubspot-ratelimit-interval-milliseconds': '400',
      'x-hubspot-ratelimit-max': '100',
    };
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      if (calls === 1) return json(res, 429, { status: 'error', message: 'You have reached your ten_secondly_rolling limit.' }, window);
      json(res, 200, { n: calls }, calls === 2 ? window : { 'x-hubspot-ratelimit-remaining': '99' });
    });
    const log = logs();
    const c = client(server.url, { logger: log.logger });
    const started = performance.now();
    await c.getJson('x');
    await c.getJson('x');
    expect(performance.now() - started).toBeGreaterThanOrEqual(780);
    expect(log.lines.join('\n')).toMatch(/GET \/x: HTTP 429; retry 1\/5 in 0\.4 s \(rate-limit reset\)/);
    expect(log.lines.join('\n')).toMatch(/GET \/x: rate limit spent; next request in 0\.4 s/);
  });

  it('lends its budget, timeout and retries to a vendor SDK as a fetch, handing back the answer unread', async () => {
    const bodies: string[] = [];
    let calls = 0;
    const server = await serve((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        bodies.push(text);
        if (req.url === '/missing') return json(res, 404, { error: { message: 'No such customer' } });
        if (++calls === 1) return json(res, 429, {}, { 'retry-after': '0' });
        json(res, 200, { id: 'cus_1' }, { 'request-id': 'req_1' });
      });
    });
    const c = client(server.url);
    const ok = await c.fetch(`${server.url}/v1/customers`, { method: 'POST', body: 'name=x', headers: { authorization: 'Bearer sdk' } });
    expect([ok.status, await ok.json(), ok.headers.get('request-id')]).toEqual([200, { id: 'cus_1' }, 'req_1']);
    expect(bodies).toEqual(['name=x', 'name=x']);
    const missing = await c.fetch(`${server.url}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: 'No such customer' } });
  });

  it('spaces requests to the request budget', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const c = client(server.url, { maxRequestsPerSecond: 20 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => c.getJson('x')));
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });
});

describe('auth', () => {
  it('fails at once on 401 and 403, naming the credential, and never prints a secret', async () => {
    const server = await serve((req, res) =>
      req.url?.startsWith('/private')
        ? json(
            res,
            403,
            { message: 'This app lacks the crm.objects.deals.read scope', correlationId: 'c1' },
            { 'x-hubspot-correlation-id': 'c1' },
          )
        : json(res, 401, { message: 'bad key sk_live_SECRET1' }),
    );
    const log = logs();
    const auth = apiKeyAuth({ name: 'api_key', value: 'sk_live_SECRET1', in: 'query', credential: 'api_key' });
    const c = client(server.url, { auth, logger: log.logger });
    const unauthorized = (await c.getJson('public').catch((e: unknown) => e)) as Error & { hint: string; field: string };
    expect(unauthorized).toMatchObject({ code: 'HTTP_401', field: 'api_key' });
    expect(unauthorized.hint).toMatch(/credential in "api_key"/);
    expect(unauthorized.message).not.toContain('sk_live_SECRET1');
    const forbidden = (await c.getJson('private/deals').catch((e: unknown) => e)) as Error & { hint: string };
    expect(forbidden.message).toBe(
      'field "api_key": GET /private/deals answered HTTP 403: This app lacks the crm.objects.deals.read scope (request id c1)',
    );
    expect(forbidden.hint).toMatch(/"api_key" lacks the permission to GET \/private\/deals/);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.searchParams.get('api_key')).toBe('sk_live_SECRET1');
    expect(log.lines.join('\n')).not.toContain('SECRET1');
  });

  it('sends bearer, basic and header API keys', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const auths: HttpAuth[] = [bearerAuth('tok'), basicAuth('me@example.com/token', 'zd'), apiKeyAuth({ name: 'x-api-key', value: 'k1' })];
    for (const auth of auths) await client(server.url, { auth }).getJson('x');
    expect(server.headers.map((h) => h.authorization ?? h['x-api-key'])).toEqual([
      'Bearer tok',
      `Basic ${Buffer.from('me@example.com/token:zd').toString('base64')}`,
      'k1',
    ]);
  });

  it('OAuth2 refresh token: fetches a token, renews it on a 401 mid-pagination, uses a rotated refresh token', async () => {
    let issued = 0;
    let valid = '';
    const grants: string[] = [];
    const server = await serve((req, res, url) => {
      if (url.pathname === '/oauth/token') {
        let text = '';
        req.on('data', (c: Buffer) => (text += c.toString()));
        req.on('end', () => {
          const form = new URLSearchParams(text);
          grants.push(`${form.get('grant_type')}:${form.get('refresh_token')}:${form.get('client_secret')}`);
          valid = `access-${++issued}`;
          json(res, 200, { access_token: valid, expires_in: 3600, refresh_token: `refresh-${issued + 1}` });
        });
        return;
      }
      if (req.headers.authorization !== `Bearer ${valid}`) return json(res, 401, { error: 'expired' });
      const page = Number(url.searchParams.get('page'));
      if (page === 2 && issued === 1) {
        valid = 'revoked';
        return json(res, 401, { error: 'token expired' });
      }
      json(res, 200, { data: items.slice((page - 1) * 10, page * 10) });
    });
    const auth = new OAuth2Auth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId: 'cid',
      clientSecret: 'csecret',
      refreshToken: 'refresh-1',
    });
    const log = logs();
    const ids = await readIds(
      new HttpStream(client(server.url, { auth, logger: log.logger }), { name: 'items', path: 'items', paginator: pageNumberPaginator() }),
    );
    expect(ids).toEqual(items.map((i) => i.id));
    expect(grants).toEqual(['refresh_token:refresh-1:csecret', 'refresh_token:refresh-2:csecret']);
    expect(log.lines.join('\n')).toMatch(/HTTP 401; renewing the access token/);
    expect(log.lines.join('\n')).not.toMatch(/access-|refresh-|csecret/);
  });

  it("signs an SDK's fetch with the client's auth and renews an expired token after a 401, once", async () => {
    let issued = 0;
    const server = await serve((req, res, url) => {
      if (url.pathname === '/oauth/token') return json(res, 200, { access_token: `access-${++issued}`, expires_in: 3600 });
      if (req.headers.authorization !== `Bearer access-${issued}` || (issued === 1 && url.pathname === '/later'))
        return json(res, 401, { message: 'expired' });
      json(res, 200, { ok: url.pathname });
    });
    const auth = new OAuth2Auth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId: 'cid',
      clientSecret: 'csecret',
      refreshToken: 'refresh-1',
    });
    const log = logs();
    const c = client(server.url, { auth, logger: log.logger });
    const first = await c.fetch(`${server.url}/first`, { headers: { 'x-sdk': 'yes' } });
    expect([first.status, await first.json()]).toEqual([200, { ok: '/first' }]);
    const later = await c.fetch(`${server.url}/later`);
    expect([later.status, await later.json(), issued]).toEqual([200, { ok: '/later' }, 2]);
    expect(log.lines.join('\n')).toMatch(/GET \/later: HTTP 401; renewing the access token/);
    // A 401 that survives the renewal goes back to the SDK as it came.
    const rejected = await client(server.url, { auth: bearerAuth('wrong') }).fetch(`${server.url}/x`);
    expect(rejected.status).toBe(401);
  });

  it('OAuth2 client credentials: a refused token names the credential', async () => {
    const server = await serve((_req, res) =>
      json(res, 400, { error: 'invalid_client', error_description: 'Client authentication failed' }),
    );
    const auth = new OAuth2Auth({ tokenUrl: `${server.url}/token`, clientId: 'cid', clientSecret: 'nope' });
    await expect(client(server.url, { auth }).getJson('x')).rejects.toMatchObject({
      code: 'OAUTH_TOKEN_REJECTED',
      field: 'client_secret',
      message: expect.stringContaining('invalid_client: Client authentication failed'),
    });
  });
});

describe('SaaS shapes', () => {
  const catalogFor = (name: string, key: string): Catalog => {
    const stream = buildCatalogStream({
      stream: name,
      schema: { type: 'object', properties: { id: { type: 'integer' }, [key]: {} } },
      keyProperties: ['id'],
    });
    setMetadata(stream, [], { selected: true, 'replication-method': 'INCREMENTAL', 'replication-key': key });
    return { streams: [stream] };
  };
  const readAll = async (stream: HttpStream, cat: Catalog, state: State = emptyState()) => {
    const out: SourceMessage[] = [];
    for await (const m of readStreams([stream], cat, state, { logger: logs().logger, signal: new AbortController().signal })) out.push(m);
    return out;
  };

  it('HubSpot search: a POST whose body carries the start filter and the `after` cursor', async () => {
    const contacts = Array.from({ length: 7 }, (_, i) => ({
      id: i + 1,
      properties: { hs_lastmodifieddate: `2024-02-0${i + 1}T00:00:00.000Z` },
    }));
    const bodies: Record<string, unknown>[] = [];
    const server = await serve((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { after?: string; limit: number; filterGroups: { filters: { value: string }[] }[] };
        bodies.push(body);
        const since = body.filterGroups[0]?.filters[0]?.value ?? '';
        const matching = contacts.filter((c) => c.properties.hs_lastmodifieddate >= since);
        const from = Number(body.after ?? 0);
        const page = matching.slice(from, from + body.limit);
        json(res, 200, {
          total: matching.length,
          results: page,
          ...(from + body.limit < matching.length ? { paging: { next: { after: String(from + body.limit) } } } : {}),
        });
      });
    });
    const stream = new HttpStream(client(server.url), {
      name: 'contacts',
      method: 'POST',
      path: 'crm/v3/objects/contacts/search',
      body: (sync) => ({
        limit: 3,
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        filterGroups: [
          { filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: sync.start ?? '1970-01-01T00:00:00.000Z' }] },
        ],
      }),
      paginator: cursorPaginator({ cursor: 'paging.next.after', param: 'after', in: 'body' }),
      transform: (record) => ({
        id: record['id'],
        hs_lastmodifieddate: (record['properties'] as Record<string, unknown>)['hs_lastmodifieddate'],
      }),
    });
    const first = await readAll(stream, catalogFor('contacts', 'hs_lastmodifieddate'));
    expect(first.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records.map((r) => r['id']) : []))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(bodies.map((b) => b['after'])).toEqual([undefined, '3', '6']);
    const state = (first.at(-1) as { value: State }).value;
    expect(state.bookmarks['contacts']?.replication_key_value).toBe('2024-02-07T00:00:00.000Z');
    const second = await readAll(stream, catalogFor('contacts', 'hs_lastmodifieddate'), state);
    expect(second.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records.map((r) => r['id']) : []))).toEqual([7]);
  });

  it('Zendesk incremental export: start_time in epoch seconds, after_url until end_of_stream', async () => {
    const tickets = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, updated_at: new Date(Date.UTC(2024, 2, 1 + i)).toISOString() }));
    const server = await serve((_req, res, url) => {
      // The cursor carries the start time, as Zendesk's opaque cursors do.
      const [startText, offsetText] = (url.searchParams.get('cursor') ?? `${url.searchParams.get('start_time') ?? 0}.0`).split('.');
      const cursor = Number(offsetText);
      const matching = tickets.filter((t) => Date.parse(t.updated_at) >= Number(startText) * 1000);
      const page = matching.slice(cursor, cursor + 2);
      const next = `${startText}.${cursor + 2}`;
      json(res, 200, {
        tickets: page,
        after_cursor: next,
        after_url: `/api/v2/incremental/tickets/cursor.json?cursor=${next}`,
        end_of_stream: cursor + 2 >= matching.length,
      });
    });
    const stream = new HttpStream(client(server.url), {
      name: 'tickets',
      path: 'api/v2/incremental/tickets/cursor.json',
      records: 'tickets',
      incremental: { param: 'start_time', format: (value) => Math.floor(Date.parse(String(value)) / 1000) },
      startValue: '2024-03-02T00:00:00Z',
      paginator: nextUrlPaginator({ path: 'after_url', hasMore: (body) => !(body as { end_of_stream: boolean }).end_of_stream }),
    });
    const messages = await readAll(stream, catalogFor('tickets', 'updated_at'));
    expect(messages.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records.map((r) => r['id']) : []))).toEqual([2, 3, 4, 5]);
    const start = Date.UTC(2024, 2, 2) / 1000;
    expect(server.requests.map((u) => u.search)).toEqual([`?start_time=${start}`, `?cursor=${start}.2`]);
  });

  it('reads the next page only once the batch before it was taken (one page in memory)', async () => {
    const server = await serve((_req, res, url) => {
      const page = Number(url.searchParams.get('page'));
      json(res, 200, { data: page <= 5 ? [{ id: page }] : [] });
    });
    const stream = new HttpStream(client(server.url), { name: 'items', path: 'items', paginator: pageNumberPaginator() });
    const pages = stream.read({
      entry: catalogFor('items', 'id').streams[0]!,
      tapStreamId: 'items',
      method: 'FULL_TABLE',
      keyProperties: ['id'],
      fields: ['id'],
      bookmark: {},
      signal: new AbortController().signal,
      logger: logs().logger,
    });
    await pages.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.requests).toHaveLength(1);
    await pages.return(undefined);
  });

  it('OAuth2 client credentials: renews the token shortly before it expires', async () => {
    let issued = 0;
    const server = await serve((req, res, url) => {
      if (url.pathname === '/token') return json(res, 200, { access_token: `t${++issued}`, expires_in: 30 });
      json(res, 200, { auth: req.headers.authorization });
    });
    // A 60 s margin on a 30 s token: every request finds it about to expire.
    const auth = new OAuth2Auth({ tokenUrl: `${server.url}/token`, clientId: 'c', clientSecret: 's', expiryMarginSeconds: 60 });
    const c = client(server.url, { auth });
    expect(await c.getJson('a')).toEqual({ auth: 'Bearer t1' });
    expect(await c.getJson('b')).toEqual({ auth: 'Bearer t2' });
    const lasting = new OAuth2Auth({ tokenUrl: `${server.url}/token`, clientId: 'c', clientSecret: 's', expiryMarginSeconds: 10 });
    const d = client(server.url, { auth: lasting });
    await d.getJson('a');
    await d.getJson('b');
    expect(issued).toBe(3);
  });
});

describe('child streams read concurrently', () => {
  it('overlaps the child requests of different parents (concurrency 8) and keeps one bookmark per parent', async () => {
    const server = await serve((_req, res, url) => {
      if (url.pathname === '/parents') return json(res, 200, { data: Array.from({ length: 16 }, (_, i) => ({ id: i + 1 })) });
      const parent = Number(/\/parents\/(\d+)\/children/.exec(url.pathname)?.[1]);
      setTimeout(
        () => json(res, 200, { data: [{ id: parent * 10, updated_at: `2024-01-${String(parent).padStart(2, '0')}T00:00:00Z` }] }),
        60,
      );
    });
    const c = client(server.url);
    const parents = new HttpStream(c, { name: 'parents', path: 'parents' });
    const children = new HttpStream(c, {
      name: 'children',
      path: 'parents/{parent}/children',
      concurrency: 8,
      parent: { stream: parents, partition: (p) => ({ parent: p['id'] }) },
    });
    const stream = buildCatalogStream({
      stream: 'children',
      schema: { type: 'object', properties: { id: { type: 'integer' }, updated_at: { type: 'string' } } },
      keyProperties: ['id'],
    });
    setMetadata(stream, [], { selected: true, 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' });
    const started = performance.now();
    const out: SourceMessage[] = [];
    for await (const m of readStreams([children], { streams: [stream] }, emptyState(), {
      logger: logs().logger,
      signal: new AbortController().signal,
    }))
      out.push(m);
    const elapsed = performance.now() - started;
    // 16 requests of 60 ms: about 960 ms one after another, about 120 ms eight at a time.
    expect(elapsed).toBeLessThan(600);
    expect(
      out.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records.map((r) => r['id']) : [])).sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 16 }, (_, i) => (i + 1) * 10));
    const partitions = (out.at(-1) as { value: State }).value.bookmarks['children']?.['partitions'] as Record<
      string,
      { replication_key_value: string }
    >;
    expect(partitions['parent=16']?.replication_key_value).toBe('2024-01-16T00:00:00Z');
    expect(Object.keys(partitions)).toHaveLength(16);
  });
});

describe('HttpStream with readStreams', () => {
  const catalogOf = (names: string[]): Catalog => ({
    streams: names.map((name) => {
      const stream = buildCatalogStream({
        stream: name,
        schema: {
          type: 'object',
          properties: { id: { type: 'integer' }, issue: { type: 'integer' }, updated_at: { type: 'string', format: 'date-time' } },
        },
        keyProperties: ['id'],
        validReplicationKeys: ['updated_at'],
      });
      setMetadata(stream, [], { selected: true, 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' });
      return stream;
    }),
  });

  async function run(streams: HttpStream[], state: State): Promise<SourceMessage[]> {
    const out: SourceMessage[] = [];
    for await (const m of readStreams(streams, catalogOf(streams.map((s) => s.name)), state, {
      logger: logs().logger,
      signal: new AbortController().signal,
    }))
      out.push(m);
    return out;
  }

  it('asks for records since the bookmark minus the lookback, and a child stream keeps state per parent partition', async () => {
    const comments: Record<string, RecordData[]> = {
      '12': [
        { id: 1, updated_at: '2024-01-01T10:00:00.000Z' },
        { id: 2, updated_at: '2024-01-02T10:00:00.000Z' },
      ],
      '13': [{ id: 3, updated_at: '2024-01-03T10:00:00.000Z' }],
    };
    const server = await serve((_req, res, url) => {
      const since = url.searchParams.get('updated_since');
      const match = /^\/issues\/(\d+)\/comments$/.exec(url.pathname);
      if (url.pathname === '/issues') return json(res, 200, { data: [{ id: 12 }, { id: 13 }] });
      if (!match) return json(res, 404, { message: 'no such path' });
      json(res, 200, { data: (comments[match[1]!] ?? []).filter((c) => since === null || String(c['updated_at']) >= since) });
    });
    const c = client(server.url);
    const issues = new HttpStream(c, { name: 'issues', path: 'issues' });
    const streams = () => [
      new HttpStream(c, {
        name: 'comments',
        path: 'issues/{issue}/comments',
        parent: { stream: issues, partition: (issue) => ({ issue: issue['id'] }) },
        incremental: { param: 'updated_since' },
        lookback: 3600,
        transform: (record, sync) => ({ ...record, issue: sync.partition?.['issue'] }),
      }),
    ];
    const first = await run(streams(), emptyState());
    const state = first.at(-1)?.type === 'STATE' ? (first.at(-1) as { value: State }).value : emptyState();
    expect(state.bookmarks['comments']).toEqual({
      replication_key: 'updated_at',
      partitions: {
        'issue=12': { replication_key: 'updated_at', replication_key_value: '2024-01-02T10:00:00.000Z' },
        'issue=13': { replication_key: 'updated_at', replication_key_value: '2024-01-03T10:00:00.000Z' },
      },
    });
    comments['12']!.push({ id: 4, updated_at: '2024-01-05T00:00:00.000Z' });
    server.requests.length = 0;
    const second = await run(streams(), state);
    expect(server.requests.map((u) => `${u.pathname}?${u.searchParams}`)).toEqual([
      '/issues?',
      '/issues/12/comments?updated_since=2024-01-02T09%3A00%3A00.000Z',
      '/issues/13/comments?updated_since=2024-01-03T09%3A00%3A00.000Z',
    ]);
    const ids = second.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records.map((r) => `${String(r['issue'])}/${String(r['id'])}`) : []));
    expect(ids).toEqual(['12/2', '12/4', '13/3']);
  });
});

describe('kit additions: cookie keys, JWT, session tokens, header cursors, limits, response rules', () => {
  function bodyOf(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => resolve(text));
    });
  }

  it('sends an API key as a cookie and a query parameter', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    await client(server.url, { auth: apiKeyAuth({ name: 'session', value: 'c1', in: 'cookie' }), headers: { cookie: 'lang=en' } }).getJson(
      'x',
    );
    await client(server.url, { auth: apiKeyAuth({ name: 'key', value: 'q1', in: 'query' }) }).getJson('x');
    expect(server.headers[0]?.cookie).toBe('lang=en; session=c1');
    expect(server.requests[1]?.searchParams.get('key')).toBe('q1');
  });

  it('Google service account: a signed RS256 JWT exchanged for an access token, the key never printed', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const assertions: string[] = [];
    const server = await serve((req, res, url) => {
      if (url.pathname === '/token') {
        void bodyOf(req).then((text) => {
          const form = new URLSearchParams(text);
          assertions.push(form.get('assertion') ?? '');
          json(res, 200, { access_token: 'ya29.x', expires_in: 3600 });
        });
        return;
      }
      json(res, req.headers.authorization === 'Bearer ya29.x' ? 200 : 401, { ok: true });
    });
    const auth = googleServiceAccountAuth(
      { client_email: 'sa@p.iam.gserviceaccount.com', private_key: pem, private_key_id: 'k1', token_uri: `${server.url}/token` },
      ['https://www.googleapis.com/auth/analytics.readonly'],
    );
    await client(server.url, { auth }).getJson('x');
    const [header, payload, signature] = (assertions[0] ?? '').split('.') as [string, string, string];
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: 'k1' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      iss: 'sa@p.iam.gserviceaccount.com',
      aud: `${server.url}/token`,
      scope: 'https://www.googleapis.com/auth/analytics.readonly',
    });
    expect(auth.secrets()).toEqual([pem, 'ya29.x']);
  });

  it('JWT as the bearer token (HS256), without a token endpoint', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    await client(server.url, { auth: new JwtAuth({ algorithm: 'HS256', key: 'shh', claims: { iss: 'app' } }) }).getJson('x');
    const token = (server.headers[0]?.authorization ?? '').replace('Bearer ', '');
    expect(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())).toMatchObject({ iss: 'app' });
  });

  it('session token: logs in, sends the token, logs in again on a 401', async () => {
    let logins = 0;
    let current = '';
    const server = await serve((req, res, url) => {
      if (url.pathname === '/login') {
        void bodyOf(req).then((text) => {
          expect(JSON.parse(text)).toEqual({ user: 'me', password: 'pw' });
          current = `s${++logins}`;
          json(res, 200, { session: { id: current } });
        });
        return;
      }
      if (req.headers['x-session'] !== current) return json(res, 401, {});
      if (url.searchParams.get('page') === '2' && logins === 1) current = 'expired';
      json(res, 200, { data: current === 'expired' ? [] : [{ id: Number(url.searchParams.get('page')) }] });
    });
    const auth = new SessionTokenAuth({
      loginUrl: `${server.url}/login`,
      body: { user: 'me', password: 'pw' },
      tokenPath: 'session.id',
      inject: { name: 'x-session' },
      secrets: ['pw'],
    });
    const http = client(server.url, { auth });
    await http.getJson('items', { page: 1 });
    await http.getJson('items', { page: 2 });
    await http.getJson('items', { page: 3 });
    expect(logins).toBe(2);
    expect(auth.secrets()).toEqual(['pw', 's2']);
  });

  it('header cursor, maximum_offset, maximum_page and a stop condition end pagination where they should', async () => {
    const server = await serve((_req, res, url) => {
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      if (url.pathname === '/hc')
        return json(res, 200, items.slice(cursor, cursor + 10), cursor + 10 < items.length ? { 'x-next': String(cursor + 10) } : {});
      const offset = Number(url.searchParams.get('offset') ?? (Number(url.searchParams.get('page') ?? 1) - 1) * 5);
      json(res, 200, { data: items.slice(offset, offset + 5), done: offset >= 10 });
    });
    const read = (path: string, paginator: Paginator) => readIds(new HttpStream(client(server.url), { name: path, path, paginator }));
    expect(await read('hc', headerCursorPaginator({ header: 'x-next' }))).toEqual(items.map((i) => i.id));
    expect(await read('off', offsetPaginator({ limit: 5, maximumOffset: 10 }))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await read('pages', pageNumberPaginator({ maximumPage: 3 }))).toHaveLength(15);
    expect(
      await read(
        'stop',
        stopWhen(offsetPaginator({ limit: 5 }), (response) => (response.body as { done: boolean }).done),
      ),
    ).toHaveLength(15);
  });

  it('pages known from a total are requested several at once and still come in order', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await serve((_req, res, url) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        const offset = Number(url.searchParams.get('offset'));
        json(res, 200, { data: items.slice(offset, offset + 3), total: items.length });
      }, 30);
    });
    const stream = new HttpStream(client(server.url), {
      name: 'items',
      path: 'items',
      paginator: offsetPaginator({ limit: 3, totalPath: 'total' }),
      pageConcurrency: 4,
    });
    expect(await readIds(stream)).toEqual(items.map((i) => i.id));
    expect(most).toBe(4);
    expect(server.requests).toHaveLength(8);
  });

  it("response rules: retry a 200 whose body says busy, ignore a 404, fail with the rule's message", async () => {
    let busy = 1;
    const server = await serve((_req, res, url) => {
      if (url.pathname === '/busy') return busy-- > 0 ? json(res, 200, { status: 'busy' }) : json(res, 200, { data: [{ id: 1 }] });
      if (url.pathname === '/gone') return json(res, 404, { message: 'no such thing' });
      json(res, 400, { message: 'plan limit' });
    });
    const rules = [
      { bodyContains: '"busy"', action: 'retry' as const, message: 'the API is busy' },
      { status: [404], action: 'ignore' as const },
      { status: [400], action: 'fail' as const, message: 'upgrade the plan to read this stream' },
    ];
    const http = client(server.url, { rules });
    expect((await http.getJson('busy')) as unknown).toEqual({ data: [{ id: 1 }] });
    expect(await readIds(new HttpStream(http, { name: 'gone', path: 'gone' }))).toEqual([]);
    await expect(http.getJson('bad')).rejects.toMatchObject({
      code: 'HTTP_RESPONSE_RULE',
      message: expect.stringContaining('upgrade the plan'),
    });
    busy = 99;
    await expect(client(server.url, { rules, maxRetries: 2 }).getJson('busy')).rejects.toMatchObject({
      code: 'HTTP_RESPONSE_RULE',
      message: expect.stringContaining('after 3 attempts: the API is busy'),
    });
  });
});
