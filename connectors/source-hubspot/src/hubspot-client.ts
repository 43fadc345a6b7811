import * as associationsSdk from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import * as objectsSdk from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import * as ownersSdk from '@hubspot/api-client/lib/codegen/crm/owners/index.js';
import * as pipelinesSdk from '@hubspot/api-client/lib/codegen/crm/pipelines/index.js';
import * as propertiesSdk from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import {
  bearerAuth,
  ConfigError,
  ConnectorError,
  HttpClient,
  HttpError,
  MageError,
  OAuth2Auth,
  redact,
  validateConfig,
  type ConnectorContext,
  type HttpAuth,
  type JsonSchema,
  httpUrlText,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

export const DEFAULT_BASE_URL = 'https://api.hubapi.com';

/** The SDK's APIs a sync uses, each on the source kit's transport, and what errors need. */
export interface HubSpotConnection {
  objects: objectsSdk.BasicApi;
  search: objectsSdk.SearchApi;
  properties: propertiesSdk.CoreApi;
  owners: ownersSdk.OwnersApi;
  pipelines: pipelinesSdk.PipelinesApi;
  associations: associationsSdk.BatchApi;
  auth: HttpAuth;
}

/**
 * The official SDK (`@hubspot/api-client`) on the source kit's HTTP client. The SDK's generated APIs take a
 * pluggable `httpApi`; here it is the kit's `fetch`, which owns the transport: auth (a private-app token, or
 * OAuth access tokens obtained from the refresh token and renewed before they expire and after a 401), the
 * request budget, the timeout of each request, and bounded retries with backoff on 429 (honouring
 * `Retry-After`), 5xx and network errors, each wait logged. The SDK keeps the endpoints, parameters and models.
 * Search requests get a budget of their own (HubSpot limits them apart, to 5 per second).
 */
export function connect(input: Config, ctx: ConnectorContext): HubSpotConnection {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source hubspot'); // fills the spec's defaults
  const base = httpUrlText(config.base_url, 'base_url', DEFAULT_BASE_URL);
  const auth = authFor(config, base);
  const client = (perSecond: number) =>
    new HttpClient({
      baseUrl: base,
      auth,
      maxRetries: config.max_retries,
      timeoutMs: config.request_timeout_seconds * 1000,
      maxRequestsPerSecond: perSecond,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  const perSecond = config.max_requests_per_second;
  const http = client(perSecond);
  const searchHttp = client(Math.min(perSecond, config.max_search_requests_per_second));
  return {
    objects: new objectsSdk.BasicApi(objectsSdk.createConfiguration(on(objectsSdk, base, http))),
    search: new objectsSdk.SearchApi(objectsSdk.createConfiguration(on(objectsSdk, base, searchHttp))),
    properties: new propertiesSdk.CoreApi(propertiesSdk.createConfiguration(on(propertiesSdk, base, http))),
    owners: new ownersSdk.OwnersApi(ownersSdk.createConfiguration(on(ownersSdk, base, http))),
    pipelines: new pipelinesSdk.PipelinesApi(pipelinesSdk.createConfiguration(on(pipelinesSdk, base, http))),
    associations: new associationsSdk.BatchApi(associationsSdk.createConfiguration(on(associationsSdk, base, http))),
    auth,
  };
}

/** What each of the SDK's generated API modules brings (each has its own copy of these classes). */
interface SdkModule<Request, Response, Library> {
  ServerConfiguration: new (
    url: string,
    variables: Record<string, string>,
  ) => { makeRequestContext(endpoint: string, method: never): Request };
  ResponseContext: new (
    status: number,
    headers: Record<string, string>,
    body: { text(): Promise<string>; binary(): Promise<Buffer> },
  ) => Response;
  wrapHttpLibrary(library: { send(request: Request): Promise<Response> }): Library;
}

interface SdkRequest {
  getUrl(): string;
  getHttpMethod(): string;
  getHeaders(): Record<string, string>;
  getBody(): unknown;
}

/**
 * A module's configuration on the kit: its server at base_url and its `HttpLibrary` on the kit's fetch (the SDK's
 * request goes out as built; the kit adds auth).
 */
function on<Request extends SdkRequest, Response, Library>(sdk: SdkModule<Request, Response, Library>, base: string, kit: HttpClient) {
  const httpApi = sdk.wrapHttpLibrary({
    async send(request: Request): Promise<Response> {
      const body = request.getBody();
      const response = await kit.fetch(request.getUrl(), {
        method: request.getHttpMethod(),
        headers: request.getHeaders(),
        ...(body === undefined ? {} : { body: String(body) }),
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return new sdk.ResponseContext(response.status, headers, { text: async () => bytes.toString('utf8'), binary: async () => bytes });
    },
  });
  return { baseServer: new sdk.ServerConfiguration(base, {}), httpApi };
}

function authFor(config: ResolvedConfig, base: string): HttpAuth {
  if (config.access_token) return bearerAuth(config.access_token, 'access_token');
  if (config.client_id && config.client_secret && config.refresh_token) {
    return new OAuth2Auth({
      tokenUrl: `${base}/oauth/v1/token`,
      clientId: config.client_id,
      clientSecret: config.client_secret,
      refreshToken: config.refresh_token,
      timeoutMs: config.request_timeout_seconds * 1000,
    });
  }
  const missing = ['client_id', 'client_secret', 'refresh_token'].filter((name) => !config[name as keyof ResolvedConfig]);
  throw new ConfigError(
    'HUBSPOT_AUTH_MISSING',
    `no credentials: set access_token, or client_id, client_secret and refresh_token (${missing.join(', ')} missing)`,
    {
      field: config.client_id || config.refresh_token ? missing[0] : 'access_token',
      hint: "a private app token: HubSpot → Settings → Integrations → Private Apps; OAuth: your public app's credentials and a refresh token of its install",
    },
  );
}

/** What a failed call was for: the stream (named in errors), the request, and the scope it needs. */
export interface CallSite {
  stream: string;
  /** `POST /crm/v3/objects/contacts/search` */
  request: string;
  /** The app scope the request needs (`crm.objects.contacts.read`). */
  scope: string;
}

/**
 * Runs one SDK call and turns the SDK's ApiException into the kit's HttpError: the status, HubSpot's message and
 * correlation id, and a hint. 401 and 403 name the credential (403: the scope the app lacks).
 */
export async function call<T>(connection: HubSpotConnection, site: CallSite, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translate(error, connection, site);
  }
}

function translate(error: unknown, connection: HubSpotConnection, site: CallSite): unknown {
  if (error instanceof MageError) {
    // The kit's own failure (unreachable, a refused token): it does not know the stream, so it is named here.
    const located = error.stream !== undefined || error.field !== undefined;
    return located ? error : new ConnectorError(error.code, error.message, { stream: site.stream, hint: error.hint, cause: error });
  }
  // Each generated module throws its own ApiException class.
  const exceptions = [
    objectsSdk.ApiException,
    propertiesSdk.ApiException,
    ownersSdk.ApiException,
    pipelinesSdk.ApiException,
    associationsSdk.ApiException,
  ];
  if (!exceptions.some((type) => error instanceof type)) return error;
  const failure = error as objectsSdk.ApiException<unknown>;
  const status = Number(failure.code);
  const body = errorBody(failure.body);
  const secrets = connection.auth.secrets();
  const message = redact(typeof body['message'] === 'string' ? body['message'] : `HTTP ${status}`, secrets);
  const headers = (failure.headers ?? {}) as Record<string, string>;
  const requestId = typeof body['correlationId'] === 'string' ? body['correlationId'] : headers['x-hubspot-correlation-id'];
  const category = typeof body['category'] === 'string' ? ` (${body['category']})` : '';
  const text = `${site.request} answered HTTP ${status}: ${message}${category}${requestId ? ` (correlation id ${requestId})` : ''}`;
  const credential = connection.auth.credential;
  const scopes = requiredScopes(body);
  const hint =
    status === 401
      ? `HubSpot rejected the credential in "${credential}": ${credential === 'access_token' ? 'check the private app token (it is shown once; rotate it in Settings → Integrations → Private Apps)' : 'check client_id, client_secret and that the refresh token was not revoked (the app uninstalled); authorize again for a new one'}`
      : status === 403
        ? `the credential in "${credential}" lacks the scope ${scopes ?? site.scope}: add it to the private app (or the OAuth app's scopes and re-authorize), or deselect stream "${site.stream}"`
        : status === 429
          ? 'HubSpot kept rate limiting after every retry: lower max_requests_per_second, or sync when other integrations are quieter'
          : status >= 500
            ? 'HubSpot kept failing after every retry; try again later (status.hubspot.com)'
            : undefined;
  return new HttpError(status, text, {
    stream: site.stream,
    field: status === 401 || status === 403 ? credential : undefined,
    hint,
    requestId,
    vendorMessage: message,
  });
}

function errorBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      return JSON.parse(String(body)) as Record<string, unknown>;
    } catch {
      return { message: String(body).slice(0, 500) };
    }
  }
  return {};
}

/** MISSING_SCOPES errors list the scopes needed in `errors[].context.requiredGranularScopes`. */
function requiredScopes(body: Record<string, unknown>): string | undefined {
  const errors = Array.isArray(body['errors']) ? (body['errors'] as { context?: Record<string, unknown> }[]) : [];
  const scopes = errors.flatMap((e) =>
    [e.context?.['requiredGranularScopes'], e.context?.['requiredScopes']].flatMap((s) => (Array.isArray(s) ? (s as string[]) : [])),
  );
  return scopes.length > 0 ? scopes.join(' or ') : undefined;
}
