// The conformance test config (`mage-int test`, test/conformance.test.ts): a local stand-in for the
// __TITLE__ API, serving sample data with the same contract, so the tests run without network or credentials.
// To test against the real API instead, return {config: {base_url, api_key: process.env['__ENV__API_KEY']}}.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineTestConfig } from '@mage-int/testkit';

type Row = Record<string, string | number | null>;

/** Sample data: several rows share an updated_at, as real APIs do. */
export function sampleData(): Record<string, Row[]> {
  const at = (i: number) => new Date(Date.UTC(2024, 0, 1, 12, 0, Math.floor(i / 3))).toISOString();
  const customers = Array.from({ length: 25 }, (_, i) => ({
    id: `cus_${String(i + 1).padStart(3, '0')}`,
    name: `Customer ${i + 1}`,
    email: `customer${i + 1}@example.com`,
    created_at: at(i),
    updated_at: at(i),
  }));
  const invoices = Array.from({ length: 40 }, (_, i) => ({
    id: `inv_${String(i + 1).padStart(3, '0')}`,
    customer_id: `cus_${String((i % 25) + 1).padStart(3, '0')}`,
    amount: Math.round((i + 1) * 1234.5) / 100,
    currency: 'EUR',
    status: i % 4 === 0 ? 'paid' : 'open',
    updated_at: at(i),
  }));
  return { customers, invoices };
}

export interface FakeApi {
  url: string;
  apiKey: string;
  /** Requests served so far, with their status. */
  requests: { path: string; status: number }[];
  close(): Promise<void>;
}

/**
 * Starts the stand-in API on 127.0.0.1: `GET /v1/<stream>?limit&updated_since&cursor` answers
 * `{data, next_cursor}` sorted by (updated_at, id). Its first request gets 429 and its fifth 503, so the
 * client's retries are exercised on every run.
 */
export async function startFakeApi(data: Record<string, Row[]> = sampleData(), apiKey = 'test-api-key'): Promise<FakeApi> {
  const requests: { path: string; status: number }[] = [];
  let served = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    served++;
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { error: 'invalid api key' });
    if (served === 1) return send(429, { error: 'slow down' }, { 'retry-after': '0' });
    if (served === 5) return send(503, { error: 'try again' });
    const match = /^\/v1\/([a-z_]+)$/.exec(url.pathname);
    const rows = match ? data[match[1] ?? ''] : undefined;
    if (!rows) return send(404, { error: 'not found' });
    const since = url.searchParams.get('updated_since');
    const limit = Math.max(1, Number(url.searchParams.get('limit') ?? 100));
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const matching = rows
      .filter((row) => since === null || Date.parse(String(row['updated_at'])) >= Date.parse(since))
      .sort((a, b) => String(a['updated_at']).localeCompare(String(b['updated_at'])) || String(a['id']).localeCompare(String(b['id'])));
    const page = matching.slice(offset, offset + limit);
    send(200, { data: page, next_cursor: offset + limit < matching.length ? String(offset + limit) : null });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export default defineTestConfig({
  kind: 'source',
  async setup() {
    const api = await startFakeApi();
    return {
      config: { base_url: api.url, api_key: api.apiKey, page_size: 10, max_retries: 3 },
      teardown: () => api.close(),
    };
  },
});
