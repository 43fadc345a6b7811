import {
  ConfigError,
  ConnectorError,
  HttpClient,
  HttpError,
  MageError,
  redact,
  validateConfig,
  type ConnectorContext,
  type JsonSchema,
  httpUrlSetting,
} from '@mage-int/core';
import Stripe from 'stripe';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

export const DEFAULT_BASE_URL = 'https://api.stripe.com';

/** Stripe's published read limits: 100 requests per second in live mode, 25 in test mode. */
export function defaultRequestsPerSecond(apiKey: string): number {
  return /^(sk|rk)_test_/.test(apiKey) ? 25 : 100;
}

/** The SDK and what its errors need: the key (never printed) and the base URL. */
export interface StripeConnection {
  stripe: Stripe;
  apiKey: string;
}

/**
 * The official SDK on the source kit's HTTP client. The kit owns the transport: the request budget, the timeout
 * of each request, and bounded retries with backoff and jitter on 429 (honouring `Retry-After`), 5xx and network
 * errors, each wait logged. The SDK keeps what it knows best: auth, the API version, `Stripe-Account`,
 * parameters and its typed errors. So the SDK's own retries are off (`maxNetworkRetries: 0`) and its timeout
 * — which spans the kit's retries and waits — is set far beyond them.
 */
export function connect(input: Config, ctx: ConnectorContext): StripeConnection {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source stripe'); // fills the spec's defaults
  const apiKey = config.api_key;
  if (!/^(sk|rk)_/.test(apiKey)) {
    // A publishable key (pk_…) or a webhook secret (whsec_…) cannot list objects: say so before any request.
    throw new ConfigError('STRIPE_KEY_INVALID', `api_key is not a secret or restricted key (it starts with "${apiKey.slice(0, 3)}")`, {
      field: 'api_key',
      hint: 'use a secret key (sk_live_…, sk_test_…) or a restricted key (rk_…) from Dashboard → Developers → API keys',
    });
  }
  const base = httpUrlSetting(config.base_url, 'base_url', DEFAULT_BASE_URL);
  const http = new HttpClient({
    baseUrl: base.toString(),
    maxRetries: config.max_retries,
    timeoutMs: config.request_timeout_seconds * 1000,
    maxRequestsPerSecond: config.max_requests_per_second ?? defaultRequestsPerSecond(apiKey),
    logger: ctx.logger,
    signal: ctx.signal,
  });
  // The SDK builds `<protocol>://<host>:<port><path>`; a base_url with a path (a proxy under /stripe/) keeps it here.
  const prefix = base.pathname.replace(/\/$/, '');
  const fetchThroughKit = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return http.fetch(new URL(`${prefix}${url.pathname}${url.search}`, base), init);
  };
  const stripe = new Stripe(apiKey, {
    httpClient: Stripe.createFetchHttpClient(fetchThroughKit),
    host: base.hostname,
    port: base.port || (base.protocol === 'http:' ? 80 : 443),
    protocol: base.protocol === 'http:' ? 'http' : 'https',
    maxNetworkRetries: 0,
    timeout: 24 * 60 * 60 * 1000,
    telemetry: false,
    appInfo: { name: 'mage-int source-stripe' },
    ...(config.account_id ? { stripeAccount: config.account_id } : {}),
  });
  return { stripe, apiKey };
}

/** What a failed call was for: the stream (named in errors), the request, and the permission it needs. */
export interface CallSite {
  stream: string;
  /** `GET /v1/customers` */
  request: string;
  /** The restricted-key permission (`Customers`). */
  permission: string;
}

/**
 * Runs one SDK call and turns a Stripe error into the kit's HttpError: the status, Stripe's message and request
 * id, and a hint. 401 and 403 name `api_key` (403: the permission a restricted key lacks). The key is redacted
 * from every message, though Stripe only ever echoes it masked.
 */
export async function call<T>(connection: StripeConnection, site: CallSite, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translate(error, connection, site);
  }
}

function translate(error: unknown, connection: StripeConnection, site: CallSite): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  // A transport failure past the kit's retries comes back wrapped by the SDK: the kit's own error says more; the
  // kit's fetch does not know the stream, so it is named here.
  const detail = error.detail;
  if (detail instanceof MageError) {
    const located = detail.stream !== undefined || detail.field !== undefined || detail.record !== undefined || detail.line !== undefined;
    return located ? detail : new ConnectorError(detail.code, detail.message, { stream: site.stream, hint: detail.hint, cause: detail });
  }
  const secrets = [connection.apiKey];
  const status = error.statusCode;
  const requestId = error.requestId;
  // The SDK starts its messages with `[<request id>] `; the id is shown once, at the end.
  const message = redact(requestId ? error.message.replace(`[${requestId}] `, '') : error.message, secrets);
  if (status === undefined) {
    return new ConnectorError('STRIPE_REQUEST_FAILED', `${site.request} failed: ${message}`, {
      stream: site.stream,
      hint: 'check base_url and that the Stripe API is reachable from here',
      cause: error,
    });
  }
  const code = error.code ? ` (${error.code})` : '';
  const text = `${site.request} answered HTTP ${status}: ${message}${code}${requestId ? ` (request id ${requestId})` : ''}`;
  const hint =
    status === 401
      ? 'Stripe rejected the key in "api_key": check that it is complete, not rolled or expired, and of the mode (live/test) you mean'
      : status === 403
        ? `the key in "api_key" may not read ${site.permission}: give the restricted key "${site.permission}: Read" (Dashboard → Developers → API keys → edit the key), or deselect stream "${site.stream}"`
        : status === 429
          ? 'Stripe kept rate limiting after every retry: lower max_requests_per_second, or sync when other integrations are quieter'
          : status >= 500
            ? 'Stripe kept failing after every retry; try again later (status.stripe.com)'
            : status === 404
              ? 'check base_url, and account_id for a Connect account'
              : undefined;
  return new HttpError(status, text, {
    stream: site.stream,
    field: status === 401 || status === 403 ? 'api_key' : undefined,
    hint,
    requestId,
    vendorMessage: message,
  });
}
