import { HttpClient, type ConnectorContext } from '@mage-int/core';
import { buildAuth } from './build-auth.js';
import type { Manifest } from './mage-api.js';
import { resolveResources, type Resource } from './manifest.js';
import { responseRules, RestStream } from './rest-stream.js';

/** The HTTP client every stream of a run shares (one request budget, one token). */
export function restClient(config: Manifest, ctx: ConnectorContext): HttpClient {
  const client = config.client;
  return new HttpClient({
    baseUrl: client.base_url,
    ...(client.auth ? { auth: buildAuth(client.auth, client.base_url) } : {}),
    ...(client.headers ? { headers: client.headers as Record<string, string> } : {}),
    ...(client.max_retries !== undefined ? { maxRetries: client.max_retries } : {}),
    ...(client.request_timeout_seconds ? { timeoutMs: client.request_timeout_seconds * 1000 } : {}),
    ...(client.max_requests_per_second ? { maxRequestsPerSecond: client.max_requests_per_second } : {}),
    ...(client.backoff_base_seconds ? { backoffBaseMs: client.backoff_base_seconds * 1000 } : {}),
    rules: responseRules(client.response_actions, { field: 'client.response_actions' }),
    logger: ctx.logger,
    signal: ctx.signal,
  });
}

/** Every resource of the manifest as a stream, parents built before their children. */
export function restStreams(config: Manifest, ctx: ConnectorContext, client: HttpClient = restClient(config, ctx)): RestStream[] {
  const resources = resolveResources(config);
  const built = new Map<string, RestStream>();
  const build = (resource: Resource): RestStream => {
    const done = built.get(resource.name);
    if (done) return done;
    const parentResource = resource.parent ? resources.find((r) => r.name === resource.parent?.name) : undefined;
    const parent = parentResource ? build(parentResource) : undefined;
    const stream = new RestStream(client, resource, parent, config.client.paginator, ctx.logger);
    built.set(resource.name, stream);
    return stream;
  };
  return resources.map(build);
}
