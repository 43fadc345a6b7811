import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@mage-int/core';
import { HttpClient } from '../src/http-client.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(baseUrl: string, maxRetries = 3) {
  return new HttpClient({ baseUrl, apiKey: 'k', maxRetries, timeoutMs: 5_000, logger: silentLogger, signal: new AbortController().signal, backoffMs: () => 1 });
}

describe('HttpClient', () => {
  it('retries 429 and 5xx answers, then returns the body', async () => {
    const statuses = [429, 502, 200];
    let calls = 0;
    const url = await serve((_req, res) => {
      const status = statuses[calls++] ?? 200;
      res.writeHead(status, { 'retry-after': '0' }).end(JSON.stringify({ ok: status === 200 }));
    });
    await expect(client(url).getJson('v1/things')).resolves.toEqual({ ok: true });
    expect(calls).toBe(3);
  });

  it('gives up after max_retries with an error naming the status', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.writeHead(503).end('down');
    });
    await expect(client(url, 2).getJson('v1/things')).rejects.toThrow(/HTTP 503 after 3 attempts/);
    expect(calls).toBe(3);
  });

  it('does not retry a rejected API key and says so', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.writeHead(401).end('no');
    });
    await expect(client(url).getJson('v1/things')).rejects.toMatchObject({ code: 'HTTP_401', hint: expect.stringMatching(/api_key/) });
    expect(calls).toBe(1);
  });

  it('sends the API key as a bearer token and the query parameters', async () => {
    let seen: IncomingMessage | undefined;
    const url = await serve((req, res) => {
      seen = req;
      res.writeHead(200).end('{}');
    });
    await client(url).getJson('v1/things', { limit: 5, cursor: undefined });
    expect(seen?.headers.authorization).toBe('Bearer k');
    expect(seen?.url).toBe('/v1/things?limit=5');
  });
});
