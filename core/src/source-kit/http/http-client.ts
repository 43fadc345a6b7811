import type { Logger } from '../../connector/logger.js';
import { redact } from '../../connector/logger.js';
import { ConnectorError } from '../../errors.js';
import { parseExactJson } from '../../protocol/exact-json.js';
import type { HttpAuth } from './auth.js';
import { HttpError, requestIdOf, vendorMessageOf } from './http-error.js';
import { RequestBudget } from './request-budget.js';
import { backoffMs, quotaSpent, rateLimitResetMs, serverWait, sleep, type RetryWait } from './retry-timing.js';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the base URL (`v1/customers`, `/v1/customers`). */
  path?: string;
  /** An absolute URL (a next-page link); wins over `path`. */
  url?: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** A JSON body: an object (serialised here) or JSON text. */
  body?: unknown;
  /** Statuses that are not errors for this request (its response is returned). */
  acceptStatuses?: readonly number[];
  /** The stream the request is for, named in errors. */
  stream?: string;
  /** Rules checked on every answer before the default handling (see ResponseRule); the client's own come after. */
  rules?: readonly ResponseRule[];
}

/**
 * What to do with an answer that matches: `retry` it (with backoff, like a 429), `ignore` it (no records; the
 * stream or partition ends there), `fail` with the rule's message, or take it as a `success`. A rule matches when
 * every condition given holds.
 */
export interface ResponseRule {
  status?: readonly number[];
  /** Text the raw body contains. */
  bodyContains?: string;
  /** A test on the parsed body (a JSONPath filter, compiled by the caller). */
  match?: (body: unknown) => boolean;
  action: 'retry' | 'ignore' | 'fail' | 'success';
  /** The error message of `fail`, and what the log says for the others. */
  message?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  url: URL;
  /** The parsed JSON body (exact numbers kept), or undefined when the body is empty or not JSON. */
  body: unknown;
  text: string;
  /** The body's bytes as received (after any Content-Encoding was undone): gzip files, CSV in other encodings. */
  bytes: Uint8Array;
  /** A response rule said to ignore this answer: the stream takes no records from it and stops paginating. */
  ignored?: boolean;
}

export interface HttpClientOptions {
  baseUrl: string;
  auth?: HttpAuth;
  /** Headers sent with every request (user-agent, API version). */
  headers?: Record<string, string>;
  /** Retries of a request that met 408/425/429/5xx or a network error; default 5. */
  maxRetries?: number;
  /** Timeout of one request, in ms; default 30 s. */
  timeoutMs?: number;
  /** The request budget; default unlimited. */
  maxRequestsPerSecond?: number;
  /** First backoff, doubled per retry; default 500 ms. */
  backoffBaseMs?: number;
  /** Longest backoff; default 60 s. */
  backoffMaxMs?: number;
  /** Longest wait a server may ask for (Retry-After, rate-limit reset) before the request fails instead; default 10 min. */
  maxServerWaitMs?: number;
  /** Statuses retried; default 408, 425, 429, 500, 502, 503, 504. */
  retryStatuses?: readonly number[];
  /** Response rules of every request, checked after the request's own. */
  rules?: readonly ResponseRule[];
  logger: Logger;
  signal: AbortSignal;
  /** Jitter source (tests make it predictable). */
  random?: () => number;
}

const RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];

/**
 * JSON over HTTP on Node's fetch: auth (refreshed after a 401), a request budget, a timeout per request, and
 * bounded retries on 429/5xx and network errors with exponential backoff and jitter, honouring `Retry-After` and
 * rate-limit reset headers; every wait is logged. 401/403 fail at once naming the credential; any failure shows
 * the vendor's message and request id. URLs are logged without their query and secrets are never printed.
 */
export class HttpClient {
  readonly baseUrl: URL;
  private readonly budget: RequestBudget;
  private readonly retryStatuses: ReadonlySet<number>;

  constructor(readonly options: HttpClientOptions) {
    const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    try {
      this.baseUrl = new URL(base);
    } catch {
      throw new ConnectorError('BASE_URL_INVALID', `base_url "${options.baseUrl}" is not a URL`, {
        field: 'base_url',
        hint: 'write it with its scheme: https://api.example.com',
      });
    }
    this.budget = new RequestBudget(options.maxRequestsPerSecond ?? 0);
    this.retryStatuses = new Set(options.retryStatuses ?? RETRY_STATUSES);
  }

  /** The URL a request goes to (query included, auth not). */
  urlFor(request: HttpRequest): URL {
    const url = request.url ? new URL(request.url, this.baseUrl) : new URL((request.path ?? '').replace(/^\//, ''), this.baseUrl);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
      else url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** GETs `path` with query parameters; the parsed JSON body. */
  async getJson(path: string, query: Record<string, QueryValue> = {}): Promise<unknown> {
    return (await this.request({ path, query })).body;
  }

  /** Sends one request, with the retries and waits described above. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const method = request.method ?? 'GET';
    const { options } = this;
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    const prepare = async () => {
      const url = this.urlFor(request);
      const headers = new Headers({ accept: 'application/json', ...options.headers, ...request.headers });
      if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      await options.auth?.apply({ url, headers }, options.signal);
      return { url, init: { method, headers, body } };
    };
    const rules = [...(request.rules ?? []), ...(options.rules ?? [])];
    const what = `${method} ${this.urlFor(request).pathname}`;
    let outcome = await this.exchange(prepare, what, request.stream, request.acceptStatuses, rules);
    if (outcome.response.status === 401 && options.auth?.refresh) {
      // An access token that expired or was revoked mid-run: renew it once and send the request again.
      options.logger.info(`${what}: HTTP 401; renewing the access token`);
      await outcome.response.body?.cancel();
      await options.auth.refresh(options.signal);
      outcome = await this.exchange(prepare, what, request.stream, request.acceptStatuses, rules);
    }
    const { response, url, attempt, refusedWait } = outcome;
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    if (outcome.ignored) return { status: response.status, headers: response.headers, url, body: undefined, text, bytes, ignored: true };
    const parsed = parseBody(text, response.headers);
    if (response.ok || outcome.accepted || request.acceptStatuses?.includes(response.status))
      return { status: response.status, headers: response.headers, url, body: parsed, text, bytes };
    const extra = refusedWait
      ? `the server asks to wait ${Math.ceil(refusedWait.ms / 1000)} s (${refusedWait.reason}), longer than allowed`
      : undefined;
    throw this.error(response, parsed, text, request, attempt, extra);
  }

  /**
   * A `fetch` for vendor SDKs that do their own HTTP (Stripe's `createFetchHttpClient`, HubSpot's `httpApi`, …):
   * this client's request budget, timeout and retries, without its errors — the last answer, good or bad, goes
   * back to the SDK. With an `auth`, requests are signed by it (so the SDK needs no token of its own) and a 401 is
   * answered by renewing the token once and sending again, as `request` does. Request bodies must be strings or
   * buffers (they are sent again on a retry).
   */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const { auth, logger, signal } = this.options;
    const url = new URL(input instanceof Request ? input.url : String(input));
    const base = input instanceof Request ? { method: input.method, headers: input.headers, ...init } : init;
    const prepare = async () => {
      if (!auth) return { url, init: base };
      const signed = { url: new URL(url), headers: new Headers(base.headers) };
      await auth.apply(signed, signal);
      return { url: signed.url, init: { ...base, headers: signed.headers } };
    };
    const what = `${init.method ?? 'GET'} ${url.pathname}`;
    let outcome = await this.exchange(prepare, what);
    if (outcome.response.status === 401 && auth?.refresh) {
      logger.info(`${what}: HTTP 401; renewing the access token`);
      await outcome.response.body?.cancel();
      await auth.refresh(signal);
      outcome = await this.exchange(prepare, what);
    }
    return outcome.response;
  };

  /**
   * Sends until an answer that is not to be retried: a success, an error status outside the retried ones, the last
   * retry, or a wait the server asks for that is longer than allowed (`refusedWait`). Network errors past the last
   * retry throw. The returned response's body is unread.
   */
  private async exchange(
    prepare: () => Promise<{ url: URL; init: RequestInit }>,
    what: string,
    stream?: string,
    acceptStatuses?: readonly number[],
    rules: readonly ResponseRule[] = [],
  ): Promise<{ response: Response; url: URL; attempt: number; refusedWait?: RetryWait; ignored?: boolean; accepted?: boolean }> {
    const { options } = this;
    const maxRetries = options.maxRetries ?? 5;
    const timeoutMs = options.timeoutMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      await this.budget.take(options.signal);
      const { url, init } = await prepare();
      const signals = [options.signal, AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])];
      let response: Response;
      try {
        response = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
      } catch (error) {
        if (options.signal.aborted || init.signal?.aborted) throw error;
        const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkReason(error);
        if (attempt >= maxRetries) {
          throw new ConnectorError('HTTP_UNREACHABLE', `${what} failed after ${attempt + 1} attempts: ${reason}`, {
            stream,
            hint: 'check base_url and that the API is reachable from here; raise request_timeout_seconds for slow endpoints',
            cause: error,
          });
        }
        await this.wait(what, reason, attempt + 1, maxRetries, { ms: this.backoff(attempt + 1), reason: 'backoff' }, stream);
        continue;
      }
      if (rules.length > 0) {
        const checked = await applyRules(response, rules);
        response = checked.response;
        const rule = checked.rule;
        if (rule?.action === 'fail') {
          const secrets = this.options.auth?.secrets() ?? [];
          throw new ConnectorError(
            'HTTP_RESPONSE_RULE',
            `${what} answered HTTP ${response.status}: ${rule.message ?? 'a response rule says to fail'}`,
            {
              stream,
              hint: redact(
                vendorMessageOf(parseBody(checked.text, response.headers), checked.text) ??
                  'the response rules of the stream say this answer is an error',
                secrets,
              ),
            },
          );
        }
        if (rule?.action === 'ignore') {
          this.options.logger.info(
            `${what}: HTTP ${response.status} ignored${rule.message ? ` (${rule.message})` : ''}`,
            stream ? { stream } : undefined,
          );
          return { response, url, attempt, ignored: true };
        }
        if (rule?.action === 'success') return { response, url, attempt, accepted: true };
        if (rule?.action === 'retry') {
          if (attempt >= maxRetries) {
            throw new ConnectorError(
              'HTTP_RESPONSE_RULE',
              `${what} still answered as the retry rule describes after ${attempt + 1} attempts${rule.message ? `: ${rule.message}` : ` (HTTP ${response.status})`}`,
              {
                stream,
                hint: 'the API keeps giving this answer; try again later or raise max_retries',
              },
            );
          }
          const asked = serverWait(response.headers);
          await this.wait(
            what,
            rule.message ?? `HTTP ${response.status} (response rule)`,
            attempt + 1,
            maxRetries,
            asked ?? { ms: this.backoff(attempt + 1), reason: 'backoff' },
            stream,
          );
          continue;
        }
      }
      if (response.ok || acceptStatuses?.includes(response.status)) {
        this.respectQuota(what, response.headers);
        return { response, url, attempt };
      }
      if (!this.retryStatuses.has(response.status) || attempt >= maxRetries) return { response, url, attempt };
      const asked = serverWait(response.headers);
      if (asked && asked.ms > (options.maxServerWaitMs ?? 600_000)) return { response, url, attempt, refusedWait: asked };
      await response.body?.cancel();
      await this.wait(
        what,
        `HTTP ${response.status}`,
        attempt + 1,
        maxRetries,
        asked ?? { ms: this.backoff(attempt + 1), reason: 'backoff' },
        stream,
      );
    }
  }

  /** A success that spends the last request of the window: hold the next requests until the window resets, instead of earning a 429. */
  private respectQuota(what: string, headers: Headers): void {
    if (!quotaSpent(headers)) return;
    const reset = rateLimitResetMs(headers);
    if (reset === undefined || reset <= 0 || reset > (this.options.maxServerWaitMs ?? 600_000)) return;
    this.options.logger.info(`${what}: rate limit spent; next request in ${(reset / 1000).toFixed(1)} s (rate-limit reset)`);
    this.budget.pause(reset);
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt, this.options.backoffBaseMs ?? 500, this.options.backoffMaxMs ?? 60_000, this.options.random);
  }

  private async wait(
    what: string,
    reason: string,
    retry: number,
    maxRetries: number,
    wait: RetryWait,
    stream: string | undefined,
  ): Promise<void> {
    this.options.logger.warn(
      `${what}: ${reason}; retry ${retry}/${maxRetries} in ${(wait.ms / 1000).toFixed(1)} s (${wait.reason})`,
      stream ? { stream } : undefined,
    );
    await sleep(wait.ms, this.options.signal);
  }

  private error(response: Response, body: unknown, text: string, request: HttpRequest, attempt: number, extra?: string): HttpError {
    const method = request.method ?? 'GET';
    const path = this.urlFor(request).pathname;
    const secrets = this.options.auth?.secrets() ?? [];
    const vendor = vendorMessageOf(body, text);
    const vendorMessage = vendor === undefined ? undefined : redact(vendor, secrets);
    const requestId = requestIdOf(response.headers);
    const status = response.status;
    const credential = this.options.auth?.credential ?? 'credentials';
    const retried = attempt > 0 ? ` after ${attempt + 1} attempts` : '';
    const message = `${method} ${path} answered HTTP ${status}${retried}${vendorMessage ? `: ${vendorMessage}` : ''}${requestId ? ` (request id ${requestId})` : ''}${extra ? `; ${extra}` : ''}`;
    const hint =
      status === 401
        ? `the API rejected the credential in "${credential}": check that it is current and complete`
        : status === 403
          ? `the credential in "${credential}" lacks the permission to ${method} ${path}: grant it (API key scopes, app permissions) or deselect the stream`
          : status === 404
            ? 'check base_url and the resource path'
            : this.retryStatuses.has(status)
              ? 'the API keeps failing; try again later, lower max_requests_per_second or raise max_retries'
              : undefined;
    return new HttpError(status, message, {
      stream: request.stream,
      field: status === 401 || status === 403 ? credential : undefined,
      hint,
      requestId,
      vendorMessage,
    });
  }
}

/** The first rule an answer matches (its body is read, and the answer rebuilt around it, only when a rule looks at the body). */
async function applyRules(
  response: Response,
  rules: readonly ResponseRule[],
): Promise<{ response: Response; rule?: ResponseRule; text: string }> {
  const candidates = rules.filter((rule) => !rule.status || rule.status.includes(response.status));
  if (candidates.length === 0) return { response, text: '' };
  const needsBody =
    candidates.some((rule) => rule.bodyContains !== undefined || rule.match !== undefined) ||
    candidates.some((rule) => rule.action === 'fail');
  let text = '';
  let rebuilt = response;
  if (needsBody) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    text = new TextDecoder().decode(bytes);
    const empty = response.status === 204 || response.status === 304 || bytes.length === 0;
    rebuilt = new Response(empty ? null : bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
  let parsed: unknown;
  const rule = candidates.find((candidate) => {
    if (candidate.bodyContains !== undefined && !text.includes(candidate.bodyContains)) return false;
    if (candidate.match) {
      parsed ??= parseBody(text, response.headers);
      if (!candidate.match(parsed)) return false;
    }
    return true;
  });
  return { response: rebuilt, ...(rule ? { rule } : {}), text };
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return cause?.code ? `${message} (${cause.code})` : cause?.message ? `${message}: ${cause.message}` : message;
}

function parseBody(text: string, headers: Headers): unknown {
  if (text === '') return undefined;
  const type = headers.get('content-type') ?? '';
  if (!type.includes('json') && !/^\s*[[{]/.test(text)) return undefined;
  try {
    return parseExactJson(text);
  } catch {
    return undefined;
  }
}
