import { ConnectorError } from '../../errors.js';

/** What an auth may change on an outgoing request. */
export interface AuthRequest {
  url: URL;
  headers: Headers;
}

/**
 * How requests prove who they are. Plain objects (like Vite plugins): `apply` signs a request; `refresh`, when
 * present, gets a new token after a 401 (the request is then sent again, once).
 */
export interface HttpAuth {
  /** The config setting holding the credential, named in errors: `api_key`, `refresh_token`. */
  readonly credential: string;
  apply(request: AuthRequest, signal: AbortSignal): Promise<void> | void;
  refresh?(signal: AbortSignal): Promise<void>;
  /** Values that must never be printed (tokens obtained at run time included). */
  secrets(): string[];
}

/** `Authorization: Bearer <token>`. */
export function bearerAuth(token: string, credential = 'api_key'): HttpAuth {
  return {
    credential,
    apply: ({ headers }) => headers.set('authorization', `Bearer ${token}`),
    secrets: () => [token],
  };
}

/** Where a credential goes on a request: a header, a query parameter or a cookie. */
export type CredentialPlace = 'header' | 'query' | 'cookie';

/** Puts `value` on a request as header, query parameter or cookie `name` (a cookie joins those already set). */
export function placeCredential({ url, headers }: AuthRequest, place: CredentialPlace | undefined, name: string, value: string): void {
  if (place === 'query') url.searchParams.set(name, value);
  else if (place === 'cookie') {
    const cookie = `${name}=${value}`;
    const existing = headers.get('cookie');
    headers.set('cookie', existing ? `${existing}; ${cookie}` : cookie);
  } else headers.set(name, value);
}

/** An API key in a header (`X-API-Key: <key>`), a query parameter (`?api_key=<key>`) or a cookie (`Cookie: session=<key>`). */
export function apiKeyAuth(options: { name: string; value: string; in?: CredentialPlace; credential?: string; prefix?: string }): HttpAuth {
  const value = `${options.prefix ?? ''}${options.value}`;
  return {
    credential: options.credential ?? 'api_key',
    apply: (request) => placeCredential(request, options.in, options.name, value),
    secrets: () => [options.value],
  };
}

/** HTTP basic auth (`Authorization: Basic base64(user:password)`); Zendesk's `email/token` user fits too. */
export function basicAuth(username: string, password: string, credential = 'password'): HttpAuth {
  const encoded = Buffer.from(`${username}:${password}`).toString('base64');
  return {
    credential,
    apply: ({ headers }) => headers.set('authorization', `Basic ${encoded}`),
    secrets: () => [password, encoded],
  };
}

export interface OAuth2Options {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** With a refresh token the `refresh_token` grant is used, else `client_credentials`. */
  refreshToken?: string;
  scope?: string;
  /** Extra form fields of the token request. */
  params?: Record<string, string>;
  /** How the client proves itself to the token endpoint: form fields (default) or HTTP basic. */
  clientAuth?: 'body' | 'basic';
  /** Renew this long before the token expires (default 60 s). */
  expiryMarginSeconds?: number;
  timeoutMs?: number;
  /** The setting named in errors; default `refresh_token` or `client_secret`. */
  credential?: string;
}

/** What a token endpoint (or a login request) gave: the token, how long it lives, and a rotated refresh token. */
export interface IssuedToken {
  token: string;
  /** Seconds the token lives; undefined: until the API answers 401. */
  expiresIn?: number;
  refreshToken?: string;
}

/**
 * An auth whose token is obtained at run time (OAuth2, a signed JWT exchanged for an access token, a session
 * token from a login request): obtained before the first request, renewed `expiryMarginSeconds` before it
 * expires and whenever the API answers 401 (mid-pagination included); concurrent callers share one renewal.
 */
export abstract class RenewingTokenAuth implements HttpAuth {
  abstract readonly credential: string;
  protected token: string | undefined;
  private expiresAt = 0;
  private pending: Promise<void> | undefined;

  constructor(private readonly marginSeconds = 60) {}

  /** Gets a new token. */
  protected abstract obtain(signal: AbortSignal): Promise<IssuedToken>;
  /** Puts the token on a request. */
  protected abstract sign(request: AuthRequest, token: string): void;
  /** The configured secrets (the run-time token is added by `secrets`). */
  protected abstract configuredSecrets(): (string | undefined)[];

  async apply(request: AuthRequest, signal: AbortSignal): Promise<void> {
    if (!this.token || Date.now() >= this.expiresAt - this.marginSeconds * 1000) await this.refresh(signal);
    this.sign(request, this.token as string);
  }

  /** Gets a new token; concurrent callers share one request. */
  refresh(signal: AbortSignal): Promise<void> {
    this.pending ??= this.obtain(signal)
      .then((issued) => {
        this.token = issued.token;
        const expiresIn = Number(issued.expiresIn);
        this.expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  secrets(): string[] {
    return [...this.configuredSecrets(), this.token].filter((s): s is string => typeof s === 'string' && s !== '');
  }
}

/** Sends a credential request (a token endpoint, a login) and returns the parsed JSON answer; errors name `credential`. */
export async function requestCredential(
  where: URL,
  init: { method?: string; headers: Headers; body?: string | URLSearchParams },
  options: { credential: string; signal: AbortSignal; timeoutMs?: number; what: string; hint: string },
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(where, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)]),
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw new ConnectorError(
      'OAUTH_TOKEN_UNREACHABLE',
      `the ${options.what} ${where.origin}${where.pathname} did not answer: ${(error as Error).message}`,
      {
        field: options.credential,
        hint: 'check its URL and that it is reachable from here',
        cause: error,
      },
    );
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A non-JSON answer is reported below with its status.
  }
  if (!response.ok) {
    const reason =
      [body['error'], body['error_description'], body['message']].filter((v) => typeof v === 'string').join(': ') ||
      `HTTP ${response.status}`;
    throw new ConnectorError('OAUTH_TOKEN_REJECTED', `the ${options.what} refused to issue a token (${reason})`, {
      field: options.credential,
      hint: options.hint,
    });
  }
  return body;
}

/** The `access_token` of a token endpoint's answer, or an error naming the credential. */
export function accessTokenOf(body: Record<string, unknown>, credential: string, hint: string): IssuedToken {
  const token = body['access_token'];
  if (typeof token !== 'string')
    throw new ConnectorError('OAUTH_TOKEN_REJECTED', 'the token endpoint answered without an access_token', { field: credential, hint });
  return {
    token,
    expiresIn: Number(body['expires_in']),
    ...(typeof body['refresh_token'] === 'string' ? { refreshToken: body['refresh_token'] } : {}),
  };
}

/**
 * OAuth 2.0 client credentials or refresh token. The access token is fetched before the first request, renewed
 * shortly before `expires_in` runs out and again whenever the API answers 401 (a token revoked or expired early,
 * mid-pagination included). A rotated refresh token returned by the server is used for the next renewal.
 */
export class OAuth2Auth extends RenewingTokenAuth {
  readonly credential: string;
  private refreshToken: string | undefined;

  constructor(private readonly options: OAuth2Options) {
    super(options.expiryMarginSeconds ?? 60);
    this.refreshToken = options.refreshToken;
    this.credential = options.credential ?? (options.refreshToken ? 'refresh_token' : 'client_secret');
  }

  protected sign({ headers }: AuthRequest, token: string): void {
    headers.set('authorization', `Bearer ${token}`);
  }

  protected configuredSecrets(): (string | undefined)[] {
    return [this.options.clientSecret, this.refreshToken, this.options.refreshToken];
  }

  protected async obtain(signal: AbortSignal): Promise<IssuedToken> {
    const { options } = this;
    const form = new URLSearchParams({ grant_type: this.refreshToken ? 'refresh_token' : 'client_credentials', ...options.params });
    if (this.refreshToken) form.set('refresh_token', this.refreshToken);
    if (options.scope) form.set('scope', options.scope);
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
    if (options.clientAuth === 'basic')
      headers.set('authorization', `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`);
    else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    const hint = `check ${this.credential}${this.credential === 'client_secret' ? '' : ', client_id and client_secret'}; a refresh token may have been revoked or rotated — authorize again to get a new one`;
    const body = await requestCredential(
      new URL(options.tokenUrl),
      { headers, body: form },
      { credential: this.credential, signal, timeoutMs: options.timeoutMs, what: 'token endpoint', hint },
    );
    const issued = accessTokenOf(body, this.credential, hint);
    if (issued.refreshToken) this.refreshToken = issued.refreshToken;
    return issued;
  }
}
