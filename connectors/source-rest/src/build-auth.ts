import {
  apiKeyAuth,
  basicAuth,
  bearerAuth,
  ConfigError,
  googleServiceAccountAuth,
  JwtAuth,
  OAuth2Auth,
  SessionTokenAuth,
  type GoogleServiceAccount,
  type HttpAuth,
} from '@mage-int/core';
import type { Auth } from './generated/config.js';

/** The kit's auth for `client.auth`: every kind dlt and Airbyte low-code name, on the source kit's objects. */
export function buildAuth(auth: Auth | undefined, baseUrl: string): HttpAuth | undefined {
  if (!auth) return undefined;
  const absolute = (url: string) => new URL(url, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  switch (auth.type) {
    case 'bearer':
      return bearerAuth(auth.token as string, 'client.auth.token');
    case 'api_key':
      return apiKeyAuth({
        name: auth.name ?? 'Authorization',
        value: auth.api_key as string,
        in: auth.location ?? 'header',
        credential: 'client.auth.api_key',
        ...(auth.prefix ? { prefix: auth.prefix } : {}),
      });
    case 'http_basic':
      return basicAuth(auth.username as string, auth.password as string, 'client.auth.password');
    case 'oauth2_client_credentials':
    case 'oauth2_refresh_token':
      return new OAuth2Auth({
        tokenUrl: absolute(auth.access_token_url as string),
        clientId: auth.client_id as string,
        clientSecret: auth.client_secret as string,
        ...(auth.type === 'oauth2_refresh_token' ? { refreshToken: auth.refresh_token as string } : {}),
        ...(auth.scopes ? { scope: auth.scopes.join(' ') } : {}),
        ...(auth.client_auth ? { clientAuth: auth.client_auth } : {}),
        ...(auth.access_token_request_data ? { params: auth.access_token_request_data as Record<string, string> } : {}),
        credential: auth.type === 'oauth2_refresh_token' ? 'client.auth.refresh_token' : 'client.auth.client_secret',
      });
    case 'jwt':
      return new JwtAuth({
        key: auth.private_key as string,
        ...(auth.algorithm ? { algorithm: auth.algorithm } : {}),
        ...(auth.claims ? { claims: auth.claims } : {}),
        ...(auth.jwt_headers ? { header: auth.jwt_headers } : {}),
        ...(auth.lifetime_seconds ? { lifetimeSeconds: auth.lifetime_seconds } : {}),
        ...(auth.token_url ? { tokenUrl: absolute(auth.token_url) } : {}),
        credential: 'client.auth.private_key',
      });
    case 'google_service_account':
      return googleServiceAccountAuth(serviceAccount(auth.credentials_json as string), auth.scopes ?? [], {
        credential: 'client.auth.credentials_json',
        ...(auth.subject ? { subject: auth.subject } : {}),
      });
    case 'session_token': {
      const credentials = { username: auth.username, password: auth.password };
      const body = auth.login_json ? loginBody(auth.login_json, credentials) : undefined;
      return new SessionTokenAuth({
        loginUrl: absolute(auth.login_url as string),
        ...(auth.login_method ? { method: auth.login_method } : {}),
        ...(body ? { body } : {}),
        tokenPath: auth.token_path as string,
        ...(auth.inject ? { inject: { in: auth.inject.location, name: auth.inject.name, prefix: auth.inject.prefix } } : {}),
        ...(auth.expires_in_seconds ? { expiresInSeconds: auth.expires_in_seconds } : {}),
        secrets: [auth.password].filter((s): s is string => typeof s === 'string'),
        credential: 'client.auth.password',
      });
    }
  }
}

/** `{username}` / `{password}` in the login body (placeholders other than resource references). */
function loginBody(body: Record<string, unknown>, credentials: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(body, (_key, value: unknown) =>
    typeof value === 'string' ? value.replace(/\{(username|password)\}/g, (_m, name: string) => String(credentials[name] ?? '')) : value,
  );
  return JSON.parse(text) as Record<string, unknown>;
}

function serviceAccount(text: string): GoogleServiceAccount {
  let parsed: Partial<GoogleServiceAccount>;
  try {
    parsed = JSON.parse(text) as Partial<GoogleServiceAccount>;
  } catch {
    throw new ConfigError('CREDENTIALS_JSON_INVALID', 'credentials_json is not JSON', {
      field: 'client.auth.credentials_json',
      hint: 'paste the whole service account key file (it starts with {"type": "service_account"',
    });
  }
  if (typeof parsed.client_email !== 'string' || typeof parsed.private_key !== 'string') {
    throw new ConfigError('CREDENTIALS_JSON_INVALID', 'credentials_json lacks client_email or private_key', {
      field: 'client.auth.credentials_json',
      hint: 'use the key file of a service account (IAM → Service accounts → Keys → JSON)',
    });
  }
  return parsed as GoogleServiceAccount;
}
