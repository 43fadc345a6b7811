import { ConnectorError, type Logger } from '@mage-int/core';

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  maxRetries: number;
  timeoutMs: number;
  logger: Logger;
  signal: AbortSignal;
  /** Backoff before retry n (1-based) when the server gives no Retry-After; default: exponential with jitter. */
  backoffMs?: (attempt: number) => number;
}

/** Statuses worth retrying: rate limiting and server-side failures. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
const MAX_WAIT_MS = 60_000;

function defaultBackoff(attempt: number): number {
  const base = Math.min(MAX_WAIT_MS, 500 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), if any. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A small JSON-over-HTTP client: bearer auth, a timeout per request, and retries with exponential backoff
 * on 429/5xx and network errors (honouring Retry-After). Other 4xx fail at once with a clear error.
 */
export class HttpClient {
  constructor(private readonly options: HttpClientOptions) {}

  /** GETs `path` (relative to the base URL) with query parameters and returns the parsed JSON body. */
  getJson(path: string, query: Record<string, string | number | undefined> = {}): Promise<unknown> {
    return this.request('GET', path, { query });
  }

  /** POSTs a JSON body (already serialised, so exact numbers survive) and returns the parsed answer. */
  postJson(path: string, body: string): Promise<unknown> {
    return this.request('POST', path, { body });
  }

  /** One request with retries; `body` is JSON text. */
  async request(method: 'GET' | 'POST' | 'PUT', path: string, options: { query?: Record<string, string | number | undefined>; body?: string } = {}): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ''), this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const what = `${method} ${url.pathname}`;
    const backoff = this.options.backoffMs ?? defaultBackoff;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.options.apiKey}`,
            accept: 'application/json',
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: options.body,
          signal: AbortSignal.any([this.options.signal, AbortSignal.timeout(this.options.timeoutMs)]),
        });
      } catch (error) {
        if (this.options.signal.aborted) throw error;
        if (attempt >= this.options.maxRetries) {
          throw new ConnectorError('HTTP_UNREACHABLE', `${what} failed after ${attempt + 1} attempts: ${(error as Error).message}`, {
            hint: 'check base_url and that the API is reachable from here',
            cause: error,
          });
        }
        const wait = backoff(attempt + 1);
        this.options.logger.warn(`${what}: ${(error as Error).message}; retry ${attempt + 1}/${this.options.maxRetries} in ${Math.round(wait)} ms`);
        await sleep(wait, this.options.signal);
        continue;
      }
      if (response.ok) {
        const text = await response.text();
        return text === '' ? undefined : (JSON.parse(text) as unknown);
      }
      const body = (await response.text()).slice(0, 300);
      if (RETRYABLE.has(response.status) && attempt < this.options.maxRetries) {
        const wait = Math.min(MAX_WAIT_MS, retryAfterMs(response.headers.get('retry-after')) ?? backoff(attempt + 1));
        this.options.logger.warn(`${what}: HTTP ${response.status}; retry ${attempt + 1}/${this.options.maxRetries} in ${Math.round(wait)} ms`);
        await sleep(wait, this.options.signal);
        continue;
      }
      const auth = response.status === 401 || response.status === 403;
      throw new ConnectorError(`HTTP_${response.status}`, `${what} answered HTTP ${response.status}${RETRYABLE.has(response.status) ? ` after ${attempt + 1} attempts` : ''}: ${body}`, {
        hint: auth ? 'the API rejected the credentials: check api_key' : RETRYABLE.has(response.status) ? 'the API keeps failing; try again later or raise max_retries' : undefined,
      });
    }
  }
}
