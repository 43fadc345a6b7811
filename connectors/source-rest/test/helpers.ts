import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, emptyState, type Catalog, type Logger, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import { afterEach } from 'vitest';
import { RestSource, type RestConfig } from '../src/index.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => void | Promise<void>;

export interface TestServer {
  url: string;
  /** Every request seen, in order (path with query), and its headers. */
  requests: { url: URL; headers: IncomingMessage['headers']; method: string; body: string; at: number }[];
  close(): Promise<void>;
}

const open: TestServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A real HTTP server on 127.0.0.1 and a random port; closed after each test. */
export async function serve(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ url, headers: req.headers, method: req.method ?? 'GET', body, at: performance.now() });
      void Promise.resolve(handler(req, res, url, body)).catch((error: unknown) => res.writeHead(500).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result: TestServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(result);
  return result;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** `n` records with ids 1..n and an updated_at one minute apart from 2024-01-01. */
export function makeItems(n: number, extra: (i: number) => Record<string, unknown> = () => ({})): RecordData[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    updated_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString().replace('.000Z', 'Z'),
    ...extra(i + 1),
  }));
}

export function capturingLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

export interface ReadResult {
  messages: SourceMessage[];
  records: Record<string, RecordData[]>;
  state: State;
  catalog: Catalog;
  logs: string[];
}

/** Discovers (unless a catalog is given) and reads the whole source, as a run would. */
export async function readAll(config: RestConfig, state: State = emptyState(), catalog?: Catalog): Promise<ReadResult> {
  const log = capturingLogger();
  const source = new RestSource({ config, logger: log.logger });
  const cat = catalog ?? (await source.discover());
  const messages: SourceMessage[] = [];
  const records: Record<string, RecordData[]> = {};
  let last = state;
  for await (const message of source.read(cat, state)) {
    messages.push(message);
    if (message.type === 'RECORD_BATCH') (records[message.stream] ??= []).push(...message.records);
    if (message.type === 'RECORD') (records[message.stream] ??= []).push(message.record);
    if (message.type === 'STATE') last = message.value as State;
  }
  return { messages, records, state: last, catalog: cat, logs: log.lines };
}

export function ids(records: RecordData[] | undefined): unknown[] {
  return (records ?? []).map((r) => r['id']);
}
