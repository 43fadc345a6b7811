import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RestConfig } from '../src/index.js';
import { ids, json, makeItems, readAll, serve } from './helpers.js';

const items = makeItems(12);

/** Items 4 a page (page=1,2,3) to whoever the check lets in; token endpoints under /oauth and /login. */
async function api(
  allowed: (headers: Record<string, string | string[] | undefined>, url: URL) => boolean,
  token?: (url: URL, body: string) => unknown,
) {
  return serve((req, res, url, body) => {
    if (url.pathname === '/oauth/token' || url.pathname === '/login') return json(res, 200, token?.(url, body));
    if (!allowed(req.headers, url)) return json(res, 401, { message: 'who are you?' });
    const page = Number(url.searchParams.get('page') ?? 1);
    json(res, 200, { data: items.slice((page - 1) * 4, page * 4) });
  });
}

function config(url: string, auth: NonNullable<NonNullable<RestConfig['client']>['auth']>): RestConfig {
  return {
    client: { base_url: url, auth, paginator: { type: 'page_number', page_size: 4, page_size_param: 'size' } },
    resources: [{ name: 'items', primary_key: 'id', infer_schema: false }],
  };
}

describe('auth', () => {
  it('bearer, API key in a header, a query parameter and a cookie, and HTTP basic', async () => {
    const cases: [
      NonNullable<NonNullable<RestConfig['client']>['auth']>,
      (h: Record<string, string | string[] | undefined>, u: URL) => boolean,
    ][] = [
      [{ type: 'bearer', token: 't0k' }, (h) => h['authorization'] === 'Bearer t0k'],
      [{ type: 'api_key', name: 'X-API-Key', api_key: 'k3y' }, (h) => h['x-api-key'] === 'k3y'],
      [{ type: 'api_key', name: 'api_key', api_key: 'k3y', location: 'query' }, (_h, u) => u.searchParams.get('api_key') === 'k3y'],
      [{ type: 'api_key', name: 'sid', api_key: 'c00kie', location: 'cookie' }, (h) => h['cookie'] === 'sid=c00kie'],
      [
        { type: 'http_basic', username: 'me', password: 'pw' },
        (h) => h['authorization'] === `Basic ${Buffer.from('me:pw').toString('base64')}`,
      ],
    ];
    for (const [auth, check] of cases) {
      const server = await api(check);
      const { records } = await readAll(config(server.url, auth));
      expect(ids(records['items']), auth.type).toEqual(items.map((i) => i['id']));
    }
  });

  it('OAuth2 refresh token: the token is renewed when the API answers 401 mid-pagination, with the rotated refresh token', async () => {
    let issued = 0;
    let valid = '';
    const grants: string[] = [];
    const server = await api(
      (h, u) => {
        // The first token is revoked while page 2 is being read.
        if (u.searchParams.get('page') === '2' && valid === 'access-1') valid = 'revoked';
        return h['authorization'] === `Bearer ${valid}`;
      },
      (_u, body) => {
        const form = new URLSearchParams(body);
        grants.push(`${form.get('grant_type')}:${form.get('refresh_token')}`);
        valid = `access-${++issued}`;
        return { access_token: valid, expires_in: 3600, refresh_token: `refresh-${issued + 1}` };
      },
    );
    const { records, logs } = await readAll(
      config(server.url, {
        type: 'oauth2_refresh_token',
        access_token_url: '/oauth/token',
        client_id: 'cid',
        client_secret: 'cs',
        refresh_token: 'refresh-1',
      }),
    );
    expect(ids(records['items'])).toEqual(items.map((i) => i['id']));
    expect(grants).toEqual(['refresh_token:refresh-1', 'refresh_token:refresh-2']);
    expect(logs.join('\n')).toMatch(/HTTP 401; renewing the access token/);
  });

  it('OAuth2 client credentials with scopes and HTTP basic client auth', async () => {
    let form: URLSearchParams | undefined;
    const server = await api(
      (h) => h['authorization'] === 'Bearer cc-token',
      (_u, body) => {
        form = new URLSearchParams(body);
        return { access_token: 'cc-token', expires_in: 600 };
      },
    );
    const { records } = await readAll(
      config(server.url, {
        type: 'oauth2_client_credentials',
        access_token_url: '/oauth/token',
        client_id: 'cid',
        client_secret: 'cs',
        scopes: ['read', 'write'],
        client_auth: 'basic',
      }),
    );
    expect(records['items']).toHaveLength(12);
    expect(form?.get('grant_type')).toBe('client_credentials');
    expect(form?.get('scope')).toBe('read write');
    expect(server.requests.find((r) => r.url.pathname === '/oauth/token')?.headers['authorization']).toBe(
      `Basic ${Buffer.from('cid:cs').toString('base64')}`,
    );
  });

  it('JWT bearer signed with an RS256 key, and a Google service account exchanging its JWT for an access token', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const verified = (token: string) => {
      const [h, p, s] = token.split('.') as [string, string, string];
      return verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))
        ? (JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>)
        : undefined;
    };
    const direct = await api((h) => verified(String(h['authorization']).replace('Bearer ', ''))?.['iss'] === 'my-app');
    expect((await readAll(config(direct.url, { type: 'jwt', private_key: pem, claims: { iss: 'my-app' } }))).records['items']).toHaveLength(
      12,
    );

    let claims: Record<string, unknown> | undefined;
    const google = await api(
      (h) => h['authorization'] === 'Bearer ya29.token',
      (_u, body) => {
        const form = new URLSearchParams(body);
        claims =
          form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? verified(form.get('assertion') ?? '') : undefined;
        return { access_token: 'ya29.token', expires_in: 3600 };
      },
    );
    const key = JSON.stringify({
      type: 'service_account',
      client_email: 'reader@proj.iam.gserviceaccount.com',
      private_key: pem,
      token_uri: `${google.url}/oauth/token`,
    });
    const { records } = await readAll(
      config(google.url, {
        type: 'google_service_account',
        credentials_json: key,
        scopes: ['https://www.googleapis.com/auth/analytics.readonly'],
      }),
    );
    expect(records['items']).toHaveLength(12);
    expect(claims).toMatchObject({
      iss: 'reader@proj.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/analytics.readonly',
      aud: `${google.url}/oauth/token`,
    });
  });

  it('session token from a login request, sent in a header, renewed when the session ends', async () => {
    let session = '';
    let logins = 0;
    const server = await api(
      (h, u) => {
        if (u.searchParams.get('page') === '3' && logins === 1) session = 'ended';
        return h['x-session'] === session;
      },
      (_u, body) => {
        expect(JSON.parse(body)).toEqual({ user: 'me', secret: 'pw' });
        session = `s-${++logins}`;
        return { data: { session_id: session } };
      },
    );
    const { records } = await readAll(
      config(server.url, {
        type: 'session_token',
        login_url: '/login',
        username: 'me',
        password: 'pw',
        login_json: { user: '{username}', secret: '{password}' },
        token_path: 'data.session_id',
        inject: { name: 'X-Session' },
      }),
    );
    expect(records['items']).toHaveLength(12);
    expect(logins).toBe(2);
  });

  it('a rejected credential fails naming the setting, without printing it', async () => {
    const server = await api(() => false);
    const error = await readAll(config(server.url, { type: 'bearer', token: 'sekr3t-token' })).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'HTTP_401', field: 'client.auth.token' });
    expect(String((error as Error).message)).not.toContain('sekr3t-token');
  });
});
