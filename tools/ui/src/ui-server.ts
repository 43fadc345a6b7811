import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Executor } from '@mage-int/core';
import { Api, apiError } from './api.js';
import { ExecutorRuns } from './executor-runs.js';
import { Project } from './project.js';
import { RunManager, type RunEvent } from './run-manager.js';

export interface UiOptions {
  /** The project directory: `pipelines/` in it, state beside the pipeline files (default: the working directory). */
  projectDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token, for tests; by default a new random one per start. */
  token?: string;
  /**
   * An executor (BullMQ workers on Redis): its runs of the project's pipelines show beside the UI's own, live, and runs
   * can be submitted to it. The UI closes it when it stops.
   */
  executor?: Executor;
}

export interface UiServer {
  /** The address to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const require = createRequire(import.meta.url);
/** A package's directory: up from its entry point (htm does not export its package.json). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(name)) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${name} package`);
    dir = parent;
  }
  return dir;
}

/** Browser modules served from node_modules: no CDN, no build step. */
const VENDOR: Record<string, () => string> = {
  '/vendor/preact.js': () => join(packageDir('preact'), 'dist', 'preact.module.js'),
  '/vendor/preact-hooks.js': () => join(packageDir('preact'), 'hooks', 'dist', 'hooks.module.js'),
  '/vendor/htm.js': () => join(packageDir('htm'), 'dist', 'htm.module.js'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

/** The browser asked for server-sent events (a discovery with progress) rather than one JSON answer. */
function wantsEvents(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Starts the UI on 127.0.0.1: static front end, JSON API under /api (each call must carry the start's token,
 * as `x-mage-int-token` or `?token=`), server-sent events for runs.
 */
export async function startUi(options: UiOptions = {}): Promise<UiServer> {
  const project = new Project(resolve(options.projectDir ?? process.cwd()));
  const runs = new RunManager();
  const executorRuns = options.executor ? new ExecutorRuns(options.executor) : undefined;
  const api = new Api(project, runs, executorRuns);
  const token = options.token ?? randomBytes(24).toString('base64url');

  const events = async (req: IncomingMessage, res: ServerResponse, runId: string): Promise<void> => {
    const write = (event: RunEvent | { type: 'snapshot'; [k: string]: unknown }) =>
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    const run = runs.get(runId);
    if (!run && executorRuns) {
      // A run on the workers: its status polled from the executor, sent as the same events.
      const record = await api.runRecord(runId);
      if (!record) return send(res, 404, { message: `no run ${runId} in this UI session or on the executor` });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      write({ type: 'snapshot', record, streams: [], committedStates: record.committedStates, log: record.log ?? [], onWorkers: true });
      const stop = executorRuns.follow(
        runId,
        () => api.runRecord(runId),
        (event) => {
          write(event);
          if (event.type === 'end') res.end();
        },
      );
      req.on('close', stop);
      return;
    }
    if (!run) return send(res, 404, { message: `no run ${runId} in this UI session` });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    write({
      type: 'snapshot',
      record: run.record,
      streams: run.streams,
      committedStates: run.committedStates,
      log: run.log.slice(-200),
      ...(run.discover ? { discover: run.discover } : {}),
    });
    if (run.record.status !== 'running') return void res.end();
    const listener = (event: RunEvent) => {
      write(event);
      if (event.type === 'end') res.end();
    };
    run.listeners.add(listener);
    req.on('close', () => run.listeners.delete(listener));
  };

  /** A discovery as server-sent events: `progress` as the source reports it, then `result` (or `error`). */
  const discoverEvents = async (res: ServerResponse, name: string): Promise<void> => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const write = (type: string, data: unknown) => res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    try {
      write('result', await api.discover(name, (progress) => write('progress', progress)));
    } catch (error) {
      write('error', apiError(error));
    }
    res.end();
  };

  const route = async (method: string, path: string[], req: IncomingMessage): Promise<unknown> => {
    const body = method === 'GET' || method === 'DELETE' ? {} : ((await readBody(req)) as Record<string, unknown>);
    const [a, name, b, c] = path;
    if (a === 'connectors' && method === 'GET') return (await api.listConnectors()).map(({ ...c }) => c);
    if (a === 'pipelines' && name === undefined) {
      if (method === 'GET') return api.listPipelines();
      if (method === 'POST') return api.savePipeline(String(body['name'] ?? ''), body as never, true);
    }
    if (a === 'pipelines' && name !== undefined) {
      if (b === undefined && method === 'GET') return api.getPipeline(name);
      if (b === undefined && method === 'PUT') return api.savePipeline(name, body as never, false);
      if (b === undefined && method === 'DELETE') return api.deletePipeline(name);
      if (b === 'duplicate' && method === 'POST') return api.duplicatePipeline(name, String(body['to'] ?? ''));
      if (b === 'check' && method === 'POST') return api.check(name, body['source'] ? (body as never) : undefined);
      if (b === 'streams' && method === 'GET') return api.streams(name);
      if (b === 'streams' && method === 'PUT') return api.saveStreams(name, (body['streams'] ?? {}) as never);
      if (b === 'discover' && method === 'POST') return api.discover(name);
      if (b === 'runs' && method === 'GET') return api.history(name);
      if (b === 'runs' && method === 'POST')
        return api.startRun(name, {
          only: body['only'] as string[] | undefined,
          fullRefresh: body['fullRefresh'] === true,
          onWorkers: body['onWorkers'] === true,
        });
      if (b === 'state' && method === 'GET') return api.state(name);
      if (b === 'state' && c === 'reset' && method === 'POST') return api.resetStream(name, String(body['stream'] ?? ''));
    }
    if (a === 'runs' && name !== undefined && b === 'cancel' && method === 'POST') {
      const run = runs.get(name);
      if (run) {
        run.controller.abort();
        return { cancelled: name };
      }
      if (executorRuns && (await executorRuns.cancel(name))) return { cancelled: name, onWorkers: true };
      return undefined;
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith('/api/')) {
        if (!tokenMatches(req.headers['x-mage-int-token']?.toString() ?? url.searchParams.get('token'), token)) {
          return send(res, 401, {
            message: 'missing or wrong access token',
            hint: 'open the address `mage-int ui` printed (it carries the token)',
          });
        }
        const path = url.pathname.slice('/api/'.length).split('/').filter(Boolean).map(decodeURIComponent);
        if (path[0] === 'runs' && path[2] === 'events' && req.method === 'GET') return await events(req, res, path[1] ?? '');
        if (path[0] === 'pipelines' && path[2] === 'discover' && req.method === 'POST' && wantsEvents(req))
          return discoverEvents(res, path[1] ?? '');
        try {
          const result = await route(req.method ?? 'GET', path, req);
          if (result === undefined) return send(res, 404, { message: `no such API: ${req.method} ${url.pathname}` });
          return send(res, 200, result);
        } catch (error) {
          return send(res, error instanceof SyntaxError ? 400 : 422, apiError(error));
        }
      }
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      const file = VENDOR[url.pathname]?.() ?? join(PUBLIC, url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
      if (!file.startsWith(PUBLIC) && !VENDOR[url.pathname]) return send(res, 404, { message: 'not found' });
      try {
        const content = await readFile(file);
        res.writeHead(200, {
          'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
          'cache-control': 'no-store',
        });
        res.end(content);
      } catch {
        send(res, 404, { message: 'not found' });
      }
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, apiError(error));
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      await runs.stopAll();
      executorRuns?.stopAll();
      await options.executor?.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
