import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a stand-in handler sees it. */
export interface StandInRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body's bytes (uploads: a gzip file in a multipart body is no UTF-8 text). */
  raw: Buffer;
}

/** A handler's answer: a status, headers and a JSON body (or `raw` text: CSV, XML). */
export interface StandInResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string | Buffer;
}

/** A planned failure: the next `times` requests that match get `response`, or a reset connection. */
export interface StandInFault {
  method?: string;
  /** The path, or a pattern of it; default any. */
  path?: string | RegExp;
  /** How many matching requests fail; default 1. */
  times?: number;
  /** The answer; omitted with `reset` (the socket is destroyed without an answer, as a dropped connection). */
  response?: StandInResponse;
  reset?: boolean;
  /** Answer this late (a slow endpoint): the fault's `response`, or the usual answer when it has none. */
  delayMs?: number;
}

/** One request the stand-in answered. */
export interface StandInLogEntry {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body as text (search requests carry their paging there). */
  body: string;
  status: number;
  /** Set when the answer came from a planned fault. */
  fault?: boolean;
}

export interface StandInServerOptions {
  /** Headers added to every answer (a vendor's request id, from the request's number). */
  headers?: (requestNumber: number) => Record<string, string>;
}

/**
 * A vendor API stand-in on a real socket (node:http on 127.0.0.1, a random port): connectors under test talk to
 * it through their real HTTP stack and SDK, with no request interception. It answers through `handler` (the
 * vendor's documented behaviour, written per vendor), logs every request, and serves planned faults first
 * (429 with Retry-After, a 500, a reset connection) so retries are tested against the same wire.
 */
export class StandInServer {
  readonly requests: StandInLogEntry[] = [];
  private readonly faults: (StandInFault & { left: number })[] = [];
  private served = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts a stand-in; `url` is `http://127.0.0.1:<port>`. */
  static async start(
    handler: (request: StandInRequest) => StandInResponse | Promise<StandInResponse>,
    options: StandInServerOptions = {},
  ): Promise<StandInServer> {
    let self: StandInServer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const stand = self as StandInServer;
        const number = ++stand.served;
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const request: StandInRequest = {
          method: req.method ?? 'GET',
          url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          raw: Buffer.concat(chunks),
        };
        const log = (status: number, fault?: boolean) =>
          stand.requests.push({
            method: request.method,
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: request.body,
            status,
            ...(fault ? { fault } : {}),
          });
        const fault = stand.takeFault(request);
        if (fault?.reset) {
          log(0, true);
          req.socket.destroy();
          return;
        }
        const answer = async () => {
          if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
          return fault?.response ?? handler(request);
        };
        void answer().then(
          (response) => {
            log(response.status, fault !== undefined);
            const body = response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body));
            res.writeHead(response.status, { 'content-type': 'application/json', ...options.headers?.(number), ...response.headers });
            res.end(body);
          },
          (error: unknown) => {
            log(500);
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`stand-in handler failed: ${String(error)}`);
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new StandInServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Plans a failure for the next matching request(s). */
  fail(fault: StandInFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Requests to a path (planned faults included). */
  requestsTo(path: string | RegExp): StandInLogEntry[] {
    return this.requests.filter((r) => (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private takeFault(request: StandInRequest): StandInFault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === request.method) &&
        (f.path === undefined || (typeof f.path === 'string' ? f.path === request.url.pathname : f.path.test(request.url.pathname))),
    );
    const fault = this.faults[index];
    if (!fault) return undefined;
    if (--fault.left <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

/**
 * What every vendor stand-in offers over its server: its URL, the request log and planned faults. A vendor's
 * stand-in extends it and sets `server` when it starts.
 */
export abstract class VendorStandIn {
  protected server!: StandInServer;

  get url(): string {
    return this.server.url;
  }

  get requests(): StandInLogEntry[] {
    return this.server.requests;
  }

  requestsTo(path: string | RegExp): StandInLogEntry[] {
    return this.server.requestsTo(path);
  }

  /** Plans a failure: `{path: '/v1/customers', response: {status: 429, headers: {'retry-after': '1'}, body}}`. */
  fail(fault: StandInFault): void {
    this.server.fail(fault);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/**
 * Query parameters in the bracket form SDKs send (`created[gte]=1`, `types[0]=a`, `expand[]=b`) as nested
 * values: `{created: {gte: '1'}, types: ['a'], expand: ['b']}`.
 */
export function nestedQuery(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const match = /^([^[]+)\[([^\]]*)\]$/.exec(key);
    if (!match) {
      out[key] = value;
      continue;
    }
    const [, name, inner] = match as unknown as [string, string, string];
    if (inner === '' || /^\d+$/.test(inner)) {
      const list = Array.isArray(out[name]) ? (out[name] as unknown[]) : [];
      list.push(value);
      out[name] = list;
    } else {
      const object =
        typeof out[name] === 'object' && out[name] !== null && !Array.isArray(out[name]) ? (out[name] as Record<string, unknown>) : {};
      object[inner] = value;
      out[name] = object;
    }
  }
  return out;
}
