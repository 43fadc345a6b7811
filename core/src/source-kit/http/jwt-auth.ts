import { createHmac, createPrivateKey, sign as signWith } from 'node:crypto';
import { ConnectorError } from '../../errors.js';
import { accessTokenOf, RenewingTokenAuth, requestCredential, type AuthRequest, type IssuedToken } from './auth.js';

export interface JwtAuthOptions {
  /** RS256 (a PEM private key) or HS256 (a shared secret). */
  algorithm?: 'RS256' | 'HS256';
  /** The PEM private key (RS256) or the shared secret (HS256). */
  key: string;
  /** Header fields besides `alg` and `typ` (`kid`). */
  header?: Record<string, unknown>;
  /** Claims besides `iat` and `exp` (`iss`, `sub`, `aud`, `scope`). */
  claims?: Record<string, unknown>;
  /** Lifetime of each signed JWT; default 3600 s. */
  lifetimeSeconds?: number;
  /**
   * With a token URL the JWT is exchanged for an access token (RFC 7523 `jwt-bearer` grant: Google service
   * accounts, Salesforce); without, the JWT itself is the bearer token (Apple, Zoom, GitHub apps).
   */
  tokenUrl?: string;
  /** The setting named in errors; default `private_key`. */
  credential?: string;
  timeoutMs?: number;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** Signs a compact JWS: `header.payload.signature`. */
export function signJwt(
  options: Pick<JwtAuthOptions, 'algorithm' | 'key' | 'header' | 'claims' | 'lifetimeSeconds' | 'credential'>,
  now = Date.now(),
): string {
  const algorithm = options.algorithm ?? 'RS256';
  const iat = Math.floor(now / 1000);
  const header = base64url(JSON.stringify({ alg: algorithm, typ: 'JWT', ...options.header }));
  const payload = base64url(JSON.stringify({ iat, exp: iat + (options.lifetimeSeconds ?? 3600), ...options.claims }));
  const input = `${header}.${payload}`;
  if (algorithm === 'HS256') return `${input}.${createHmac('sha256', options.key).update(input).digest('base64url')}`;
  let key;
  try {
    // Keys pasted into env variables often carry literal "\n".
    key = createPrivateKey(options.key.includes('\\n') ? options.key.replace(/\\n/g, '\n') : options.key);
  } catch (error) {
    throw new ConnectorError('JWT_KEY_INVALID', `the private key is not a PEM key: ${(error as Error).message}`, {
      field: options.credential ?? 'private_key',
      hint: 'paste the whole key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----',
    });
  }
  return `${input}.${signWith('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** JWT bearer auth: a JWT signed here, sent as the bearer token or exchanged for an access token. */
export class JwtAuth extends RenewingTokenAuth {
  readonly credential: string;

  constructor(private readonly options: JwtAuthOptions) {
    // A new JWT (or access token) is made a minute before the last one expires.
    super(60);
    this.credential = options.credential ?? 'private_key';
  }

  protected sign({ headers }: AuthRequest, token: string): void {
    headers.set('authorization', `Bearer ${token}`);
  }

  protected configuredSecrets(): (string | undefined)[] {
    return [this.options.key];
  }

  protected async obtain(signal: AbortSignal): Promise<IssuedToken> {
    const jwt = signJwt(this.options);
    if (!this.options.tokenUrl) return { token: jwt, expiresIn: this.options.lifetimeSeconds ?? 3600 };
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt });
    const hint = `check ${this.credential} and that the account may use the requested scopes`;
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
    const body = await requestCredential(
      new URL(this.options.tokenUrl),
      { headers, body: form },
      { credential: this.credential, signal, timeoutMs: this.options.timeoutMs, what: 'token endpoint', hint },
    );
    return accessTokenOf(body, this.credential, hint);
  }
}

/** The fields of a Google service account key file that auth needs. */
export interface GoogleServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** A Google service account: a JWT signed with its key, exchanged at its token URI for an access token with `scopes`. */
export function googleServiceAccountAuth(
  account: GoogleServiceAccount,
  scopes: readonly string[],
  options: { subject?: string; credential?: string } = {},
): JwtAuth {
  const tokenUrl = account.token_uri ?? 'https://oauth2.googleapis.com/token';
  return new JwtAuth({
    key: account.private_key,
    ...(account.private_key_id ? { header: { kid: account.private_key_id } } : {}),
    claims: { iss: account.client_email, aud: tokenUrl, scope: scopes.join(' '), ...(options.subject ? { sub: options.subject } : {}) },
    tokenUrl,
    credential: options.credential ?? 'credentials_json',
  });
}
