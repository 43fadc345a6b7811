import { ConnectorError } from '../../errors.js';
import { placeCredential, RenewingTokenAuth, requestCredential, type AuthRequest, type CredentialPlace, type IssuedToken } from './auth.js';
import { valueAt } from './value-at.js';

export interface SessionTokenAuthOptions {
  /** The login endpoint (absolute). */
  loginUrl: string;
  method?: 'POST' | 'GET';
  /** The login request's JSON body (`{username, password}`). */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Where the token is in the login answer (`token`, `data.session.id`). */
  tokenPath: string;
  /** Where the token goes on requests; default header `authorization` with prefix `Bearer `. */
  inject?: { in?: CredentialPlace; name?: string; prefix?: string };
  /** How long a session lives; default until the API answers 401. */
  expiresInSeconds?: number;
  /** Config values of the login that must never be printed (the password). */
  secrets?: readonly string[];
  /** The setting named in errors; default `password`. */
  credential?: string;
  timeoutMs?: number;
}

/** A session token from a login request, put on every request and fetched again when the API answers 401. */
export class SessionTokenAuth extends RenewingTokenAuth {
  readonly credential: string;

  constructor(private readonly options: SessionTokenAuthOptions) {
    super(0);
    this.credential = options.credential ?? 'password';
  }

  protected sign(request: AuthRequest, token: string): void {
    const inject = this.options.inject ?? {};
    const place = inject.in ?? 'header';
    const name = inject.name ?? 'authorization';
    const prefix = inject.prefix ?? (place === 'header' && name.toLowerCase() === 'authorization' ? 'Bearer ' : '');
    placeCredential(request, place, name, `${prefix}${token}`);
  }

  protected configuredSecrets(): (string | undefined)[] {
    return [...(this.options.secrets ?? [])];
  }

  protected async obtain(signal: AbortSignal): Promise<IssuedToken> {
    const { options } = this;
    const headers = new Headers({ accept: 'application/json', ...options.headers });
    if (options.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const hint = `check the login settings (${this.credential}) and the login URL`;
    const body = await requestCredential(
      new URL(options.loginUrl),
      { method: options.method ?? 'POST', headers, ...(options.body ? { body: JSON.stringify(options.body) } : {}) },
      { credential: this.credential, signal, timeoutMs: options.timeoutMs, what: 'login request', hint },
    );
    const token = valueAt(body, options.tokenPath);
    if (typeof token !== 'string' || token === '') {
      throw new ConnectorError('SESSION_TOKEN_MISSING', `the login answer has no token at "${options.tokenPath}"`, {
        field: 'token_path',
        hint: 'point token_path at the session token in the login response',
      });
    }
    return { token, ...(options.expiresInSeconds ? { expiresIn: options.expiresInSeconds } : {}) };
  }
}
