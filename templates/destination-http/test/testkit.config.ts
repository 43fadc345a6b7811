// The conformance test config (`mage-int test`, test/conformance.test.ts): a local stand-in for the
// __TITLE__ API that stores what it receives, so the tests run without network or credentials.
// To test against the real API instead, return {config: {base_url, api_key: process.env['__ENV__API_KEY']}}
// and read the loaded rows back from it in readTable.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseExactJson, stringifyExactJson } from '@mage-int/core';
import { defineTestConfig } from '@mage-int/testkit';

type Row = Record<string, unknown>;

interface Batch {
  stream: string;
  key_properties: string[];
  mode: 'upsert' | 'append' | 'ignore' | 'update_only';
  records: Row[];
}

export interface FakeApi {
  url: string;
  apiKey: string;
  /** Loaded rows per stream, keyed by their key properties (or an arrival number without keys). */
  tables: Map<string, Map<string, Row>>;
  batches: number;
  /** Raw JSON text of every accepted batch, to check exact numbers on the wire. */
  bodies: string[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/**
 * Starts the stand-in API on 127.0.0.1: `POST /v1/batches` applies `{stream, key_properties, mode, records}`
 * (upsert, append, ignore, update_only), `GET /v1/tables/<stream>` lists the stored rows, `GET /v1/health`
 * checks the key. Its first batch gets 429, so the client's retries are exercised on every run.
 */
export async function startFakeApi(apiKey = 'test-api-key'): Promise<FakeApi> {
  const tables = new Map<string, Map<string, Row>>();
  let posts = 0;
  let arrivals = 0;
  const api = { batches: 0 };
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { error: 'invalid api key' });
    if (req.method === 'GET' && url.pathname === '/v1/health') return send(200, { ok: true });
    const table = /^\/v1\/tables\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && table) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(stringifyExactJson({ rows: [...(tables.get(decodeURIComponent(table[1] ?? ''))?.values() ?? [])] }));
    }
    if (req.method === 'POST' && url.pathname === '/v1/batches') {
      if (++posts === 1) return send(429, { error: 'slow down' }, { 'retry-after': '0' });
      void bodyOf(req).then((text) => {
        bodies.push(text);
        // Parsed exactly, so integers beyond 2^53 and long decimals are stored as sent.
        const batch = parseExactJson(text) as Batch;
        const rows = tables.get(batch.stream) ?? new Map<string, Row>();
        tables.set(batch.stream, rows);
        // Within a batch the last record of a key wins; then the mode decides against the stored rows.
        const incoming = new Map<string, Row>();
        for (const record of batch.records) {
          const id =
            batch.key_properties.length > 0 && batch.mode !== 'append'
              ? stringifyExactJson(batch.key_properties.map((k) => record[k]))
              : `#${arrivals++}`;
          incoming.set(id, record);
        }
        for (const [id, record] of incoming) {
          const exists = rows.has(id);
          if ((batch.mode === 'ignore' && exists) || (batch.mode === 'update_only' && !exists)) continue;
          rows.set(id, record);
        }
        api.batches++;
        send(200, { accepted: batch.records.length });
      });
      return;
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    tables,
    bodies,
    get batches() {
      return api.batches;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export default defineTestConfig<{ base_url: string; api_key: string }>({
  kind: 'destination',
  async setup() {
    const api = await startFakeApi();
    return {
      config: { base_url: api.url, api_key: api.apiKey, batch_size_rows: 40, max_retries: 3 } as { base_url: string; api_key: string },
      teardown: () => api.close(),
    };
  },
  // Shared fixtures about SQL engines do not apply to an API that stores JSON as sent.
  skipFixtures: {
    identifiers: 'the API keeps field names as sent; there are no SQL identifier rules',
    'schema-evolution-widen': 'the API stores JSON values as sent; there are no column types to widen',
    'binary-content-encoding': 'the API receives encoded strings as sent; there is no binary column type',
    'error-base16-malformed': 'the API receives encoded strings as sent; there is no binary column to decode hex into',
    // Settings this template does not offer (yet): add them to spec.json when the API supports them.
    'activate-version-hard-delete': 'no hard_delete setting: the API has no delete endpoint',
    'activate-version-soft-delete': 'no hard_delete setting: ACTIVATE_VERSION is not forwarded to the API',
    'cdc-delete-hard': 'no hard_delete setting: the API has no delete endpoint',
    'cdc-delete-soft':
      'no hard_delete setting: deletes travel as records with _sdc_deleted_at, checked by the fixture only with the setting',
    'nul-characters-reject': 'no nul_characters setting: JSON carries U+0000 as \\u0000',
    'nul-characters-strip': 'no nul_characters setting: JSON carries U+0000 as \\u0000',
    'record-metadata': 'no add_record_metadata setting: the API receives records as sent',
  },
  async readTable(config, stream) {
    const response = await fetch(`${config.base_url}/v1/tables/${encodeURIComponent(stream)}`, {
      headers: { authorization: `Bearer ${config.api_key}` },
    });
    return (parseExactJson(await response.text()) as { rows: Record<string, unknown>[] }).rows;
  },
});
