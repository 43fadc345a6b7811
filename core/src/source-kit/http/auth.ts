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

/** An API key in a header (`X-API-Key: <key>`) or a query parameter (`?api_key=<key>`). */
export function apiKeyAuth(options: { name: string; value: string; in?: 'header' | 'query'; credential?: string; prefix?: string }): HttpAuth {
  const value = `${options.prefix ?? ''}${options.value}`;
  return {
    credential: options.credential ?? 'api_key',
    apply: ({ url, headers }) => {
      if (options.in === 'query') url.searchParams.set(options.name, value);
      else headers.set(options.name, value);
    },
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

/**
 * OAuth 2.0 client credentials or refresh token. The access token is fetched before the first request, renewed
 * shortly before `expires_in` runs out and again whenever the API answers 401 (a token revoked or expired early,
 * mid-pagination included). A rotated refresh token returned by the server is used for the next renewal.
 */
export class OAuth2Auth implements HttpAuth {
  readonly credential: string;
  private accessToken: string | undefined;
  private expiresAt = 0;
  private refreshToken: string | undefined;
  private pending: Promise<void> | undefined;

  constructor(private readonly options: OAuth2Options) {
    this.refreshToken = options.refreshToken;
    this.credential = options.credential ?? (options.refreshToken ? 'refresh_token' : 'client_secret');
  }

  async apply({ headers }: AuthRequest, signal: AbortSignal): Promise<void> {
    const margin = (this.options.expiryMarginSeconds ?? 60) * 1000;
    if (!this.accessToken || Date.now() >= this.expiresAt - margin) await this.refresh(signal);
    headers.set('authorization', `Bearer ${this.accessToken as string}`);
  }

  /** Fetches a new access token; concurrent callers share one token request. */
  refresh(signal: AbortSignal): Promise<void> {
    this.pending ??= this.fetchToken(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  secrets(): string[] {
    return [this.options.clientSecret, this.refreshToken, this.options.refreshToken, this.accessToken].filter((s): s is string => typeof s === 'string');
  }

  private async fetchToken(signal: AbortSignal): Promise<void> {
    const { options } = this;
    const form = new URLSearchParams({ grant_type: this.refreshToken ? 'refresh_token' : 'client_credentials', ...options.params });
    if (this.refreshToken) form.set('refresh_token', this.refreshToken);
    if (options.scope) form.set('scope', options.scope);
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
    if (options.clientAuth === 'basic') headers.set('authorization', `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`);
    else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    const where = new URL(options.tokenUrl);
    let response: Response;
    try {
      response = await fetch(where, { method: 'POST', headers, body: form, signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)]) });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ConnectorError('OAUTH_TOKEN_UNREACHABLE', `the token endpoint ${where.origin}${where.pathname} did not answer: ${(error as Error).message}`, {
        field: this.credential,
        hint: 'check the token URL and that it is reachable from here',
        cause: error,
      });
    }
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A non-JSON answer is reported below with its status.
    }
    const token = body['access_token'];
    if (!response.ok || typeof token !== 'string') {
      const reason = [body['error'], body['error_description']].filter((v) => typeof v === 'string').join(': ') || `HTTP ${response.status}`;
      throw new ConnectorError('OAUTH_TOKEN_REJECTED', `the token endpoint refused to issue an access token (${reason})`, {
        field: this.credential,
        hint: `check ${this.credential}${this.credential === 'client_secret' ? '' : ', client_id and client_secret'}; a refresh token may have been revoked or rotated — authorize again to get a new one`,
      });
    }
    this.accessToken = token;
    const expiresIn = Number(body['expires_in']);
    this.expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    if (typeof body['refresh_token'] === 'string') this.refreshToken = body['refresh_token'];
  }
}
