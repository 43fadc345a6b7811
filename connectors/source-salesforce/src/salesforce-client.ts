import { PassThrough } from 'node:stream';
import { Connection, type HttpRequest, type HttpResponse } from '@jsforce/jsforce-node';
import { StreamPromise } from '@jsforce/jsforce-node/lib/util/promise.js';
import { Transport } from '@jsforce/jsforce-node/lib/transport.js';
import {
  ConfigError,
  ConnectorError,
  HttpClient,
  HttpError,
  MageError,
  redact,
  signJwt,
  validateConfig,
  type ConnectorContext,
  type JsonSchema,
  type Logger,
  httpUrlText,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/** The credential settings of each way to log in, named in errors. */
export type AuthMethod = 'refresh_token' | 'jwt' | 'password';

/** jsforce's connection on the kit's transport, and what errors need. */
export interface SalesforceConnection {
  conn: Connection;
  /** The kit's client under jsforce (Bulk API 2.0 result pages are fetched through it directly). */
  http: HttpClient;
  version: string;
  method: AuthMethod;
  /** The setting holding the credential (`refresh_token`, `private_key`, `password`). */
  credential: string;
  secrets: () => string[];
  /** The last error answer (jsforce's errors carry no status): its status and path. */
  lastFailure?: { status: number; path: string };
}

/**
 * jsforce's HTTP transport on the kit's `fetch`: the request budget, the timeout of each request and bounded retries
 * with backoff on 429 (honouring `Retry-After`), 5xx and network errors, each wait logged. jsforce keeps what it
 * knows best: logins, the session (renewed after INVALID_SESSION_ID), REST and Bulk API 2.0. Bodies are whole
 * strings here (reads only: no streamed uploads).
 */
class KitTransport extends Transport {
  private warnedUsage = false;

  constructor(
    private readonly http: HttpClient,
    private readonly logger: Logger,
    private readonly onFailure: (status: number, path: string) => void,
  ) {
    super();
  }

  /** `Sforce-Limit-Info: api-usage=14000/15000`: the org's API requests in the last 24 hours; warns once past 90%. */
  private watchUsage(headers: Headers): void {
    const usage = /api-usage=(\d+)\/(\d+)/.exec(headers.get('sforce-limit-info') ?? '');
    if (!usage || this.warnedUsage) return;
    const [used, limit] = [Number(usage[1]), Number(usage[2])];
    if (limit <= 0 || used / limit < 0.9) return;
    this.warnedUsage = true;
    this.logger.warn(
      `the org has used ${used} of its ${limit} API requests of the last 24 hours (${Math.round((used / limit) * 100)}%); at the limit every integration of the org gets REQUEST_LIMIT_EXCEEDED`,
    );
  }

  override httpRequest(req: HttpRequest): StreamPromise<HttpResponse> {
    return StreamPromise.create(() => {
      const stream = new PassThrough();
      const promise = (async () => {
        const body =
          req.body === undefined || req.body === null
            ? undefined
            : typeof req.body === 'string'
              ? req.body
              : Buffer.isBuffer(req.body)
                ? req.body
                : String(req.body);
        const response = await this.http.fetch(req.url, {
          method: req.method,
          headers: req.headers ?? {},
          ...(body === undefined ? {} : { body }),
        });
        const text = await response.text();
        this.watchUsage(response.headers);
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        if (response.status >= 400) this.onFailure(response.status, new URL(req.url).pathname);
        stream.end(text);
        return { statusCode: response.status, headers, body: text };
      })();
      promise.catch((error: unknown) => stream.destroy(error as Error));
      return { stream, promise };
    });
  }
}

/** Where to log in: Mage's `domain` (`login`, `test`, a My Domain name) or `base_url`; not both. */
function loginUrlOf(config: ResolvedConfig): string {
  const baseUrl = httpUrlText(config.base_url, 'base_url', DEFAULT_LOGIN_URL);
  if (config.domain === undefined) return baseUrl;
  const url = `https://${config.domain.replace(/\.salesforce\.com$/i, '')}.salesforce.com`;
  // base_url's default is no choice: only another base_url conflicts.
  if (baseUrl !== DEFAULT_LOGIN_URL && baseUrl !== url) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `"domain" (${config.domain}: ${url}) and "base_url" (${config.base_url}) say different places to log in`,
      {
        field: 'domain',
        hint: 'give only one of them',
      },
    );
  }
  return url;
}

/**
 * Connects with one of the three logins: an OAuth refresh token (client_id, client_secret, refresh_token), a JWT
 * bearer assertion signed with `private_key` (client_id, username), or username + password + security_token (the
 * OAuth username-password flow with client_id/client_secret, else SOAP `login()`). The session is renewed by
 * jsforce when Salesforce answers INVALID_SESSION_ID (expired), mid-pagination included.
 */
export async function connect(input: Config, ctx: ConnectorContext): Promise<SalesforceConnection> {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source salesforce'); // fills the spec's defaults
  const loginUrl = loginUrlOf(config);
  const version = config.api_version;
  const http = new HttpClient({
    baseUrl: loginUrl,
    maxRetries: config.max_retries,
    timeoutMs: config.request_timeout_seconds * 1000,
    maxRequestsPerSecond: config.max_requests_per_second,
    logger: ctx.logger,
    signal: ctx.signal,
  });
  const method = authMethod(config);
  const oauth2 = config.client_id
    ? { clientId: config.client_id, clientSecret: config.client_secret ?? '', loginUrl, redirectUri: `${loginUrl}/services/oauth2/success` }
    : undefined;
  const jwtToken = async (c: Connection) => {
    const assertion = signJwt({
      key: config.private_key as string,
      claims: { iss: config.client_id, sub: config.username, aud: loginUrl },
      lifetimeSeconds: 180,
      credential: 'private_key',
    });
    return c.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  };
  const conn = new Connection({
    loginUrl,
    version,
    ...(config.instance_url ? { instanceUrl: httpUrlText(config.instance_url, 'instance_url', DEFAULT_LOGIN_URL) } : {}),
    ...(oauth2 ? { oauth2 } : {}),
    ...(method === 'refresh_token' ? { refreshToken: config.refresh_token } : {}),
    ...(method === 'jwt'
      ? {
          // A JWT login has no refresh token: an expired session signs a new assertion.
          refreshFn: (c: Connection, callback: (error?: Error | null, accessToken?: string) => void) => {
            jwtToken(c).then(
              () => callback(null, c.accessToken ?? undefined),
              (error: Error) => callback(error),
            );
          },
        }
      : {}),
  });
  const connection: SalesforceConnection = {
    conn,
    http,
    version,
    method,
    credential: method === 'jwt' ? 'private_key' : method,
    secrets: () =>
      [
        config.password,
        config.security_token,
        config.client_secret,
        config.refresh_token,
        config.private_key,
        conn.accessToken ?? undefined,
      ].filter((s): s is string => typeof s === 'string' && s !== ''),
  };
  const transport = new KitTransport(http, ctx.logger, (status, path) => (connection.lastFailure = { status, path }));
  conn._transport = transport;
  if (conn.oauth2) (conn.oauth2 as unknown as { _transport: Transport })._transport = transport;
  try {
    if (method === 'refresh_token') await conn._refreshDelegate?.refresh(Date.now());
    else if (method === 'jwt') await jwtToken(conn);
    else await conn.login(config.username as string, `${config.password ?? ''}${config.security_token ?? ''}`);
  } catch (error) {
    throw loginError(error, connection, loginUrl);
  }
  return connection;
}

function authMethod(config: Config): AuthMethod {
  if (config.refresh_token) {
    if (!config.client_id || !config.client_secret)
      throw new ConfigError('SALESFORCE_AUTH_INCOMPLETE', 'refresh_token needs client_id and client_secret (the connected app)', {
        field: config.client_id ? 'client_secret' : 'client_id',
      });
    return 'refresh_token';
  }
  if (config.private_key) {
    if (!config.client_id || !config.username)
      throw new ConfigError(
        'SALESFORCE_AUTH_INCOMPLETE',
        "JWT bearer (private_key) needs client_id (the connected app's consumer key) and username",
        { field: config.client_id ? 'username' : 'client_id' },
      );
    return 'jwt';
  }
  if (config.username && config.password) return 'password';
  throw new ConfigError(
    'SALESFORCE_AUTH_MISSING',
    'no credentials: set client_id, client_secret and refresh_token; or client_id, username and private_key (JWT bearer); or username, password and security_token',
    {
      field: 'username',
      hint: 'OAuth refresh tokens and JWT bearer need a connected app (Setup → App Manager) with the "api" and "refresh_token" scopes',
    },
  );
}

function loginError(error: unknown, connection: SalesforceConnection, loginUrl: string): unknown {
  if (error instanceof MageError) return error;
  const message = redact(error instanceof Error ? error.message : String(error), connection.secrets());
  const hint =
    connection.method === 'password'
      ? 'check username, password and security_token (a new token is mailed after a password reset: Settings → Reset My Security Token); with client_id, the connected app must allow the username-password flow'
      : connection.method === 'jwt'
        ? 'check that private_key matches the certificate uploaded to the connected app, that client_id is its consumer key, that the user is pre-authorized for the app, and base_url (test.salesforce.com for sandboxes)'
        : 'check client_id and client_secret, and that the refresh token was not revoked (Setup → Connected Apps OAuth Usage); authorize again for a new one';
  return new ConnectorError('SALESFORCE_LOGIN_FAILED', `logging in at ${loginUrl} failed: ${message}`, {
    field: connection.credential,
    hint,
    cause: error,
  });
}

/** What a failed call was for: the stream and the request. */
export interface CallSite {
  stream: string;
  request: string;
}

/** Runs one jsforce call and turns Salesforce's error (`[{message, errorCode}]`) into an HttpError. */
export async function call<T>(connection: SalesforceConnection, site: CallSite, run: () => Promise<T>): Promise<T> {
  connection.lastFailure = undefined;
  try {
    return await run();
  } catch (error) {
    throw translate(error, connection, site);
  }
}

function translate(error: unknown, connection: SalesforceConnection, site: CallSite): unknown {
  if (error instanceof MageError) {
    const located = error.stream !== undefined || error.field !== undefined;
    return located ? error : new ConnectorError(error.code, error.message, { stream: site.stream, hint: error.hint, cause: error });
  }
  if (!(error instanceof Error)) return error;
  const errorCode = (error as { errorCode?: unknown }).errorCode ?? error.name;
  const status = connection.lastFailure?.status;
  const message = redact(error.message, connection.secrets());
  if (status === undefined)
    return new ConnectorError('SALESFORCE_REQUEST_FAILED', `${site.request} failed: ${message}`, { stream: site.stream, cause: error });
  const code = typeof errorCode === 'string' && errorCode !== 'Error' ? ` (${errorCode})` : '';
  const text = `${site.request} answered HTTP ${status}: ${message}${code}`;
  const hint =
    status === 401
      ? `Salesforce rejected the session from "${connection.credential}" even after logging in again: check the user is active and the connected app's policies`
      : status === 403
        ? errorCode === 'REQUEST_LIMIT_EXCEEDED'
          ? 'the org used up its daily API requests (Setup → Company Information → API Requests, Last 24 Hours); sync later or raise the limit'
          : `the user of "${connection.credential}" lacks a permission: "API Enabled" on its profile or permission set, and read access to the object of stream "${site.stream}" (or deselect it)`
        : status === 429
          ? 'Salesforce kept limiting after every retry: lower max_requests_per_second'
          : status >= 500
            ? 'Salesforce kept failing after every retry; try again later (status.salesforce.com)'
            : undefined;
  return new HttpError(status, text, {
    stream: site.stream,
    field: status === 401 || status === 403 ? connection.credential : undefined,
    hint,
    vendorMessage: message,
  });
}
