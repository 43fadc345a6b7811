import {
  bearerAuth,
  defineSource,
  formatError,
  HttpClient,
  readStreams,
  SourceClient,
  type ConnectorContext,
  type JsonSchema,
  type SourceClientOptions,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { discoverStreams } from './discover.js';
import type { Config } from './generated/config.js';
import { httpStreams, STREAMS } from './streams.js';

export type { Config } from './generated/config.js';
export { STREAMS, httpStreams, type StreamDefinition } from './streams.js';

/** The HTTP client every stream shares: bearer auth, retries with backoff, the request budget. */
function clientFor(config: Config, ctx: ConnectorContext): HttpClient {
  return new HttpClient({
    baseUrl: config.base_url,
    auth: bearerAuth(config.api_key, 'api_key'),
    maxRetries: config.max_retries ?? 5,
    timeoutMs: (config.request_timeout_seconds ?? 30) * 1000,
    maxRequestsPerSecond: config.max_requests_per_second,
    logger: ctx.logger,
    signal: ctx.signal,
  });
}

/** The __TITLE__ source connector. */
const source = defineSource<Config>({
  kind: 'source',
  name: '__NAME__',
  spec: spec as JsonSchema,

  async check(config, ctx) {
    try {
      const first = STREAMS[0];
      if (first) await clientFor(config, ctx).getJson(first.path, { limit: 1 });
      return { ok: true };
    } catch (error) {
      return { ok: false, message: formatError(error) };
    }
  },

  async discover() {
    return discoverStreams();
  },

  read(config, catalog, state, ctx) {
    return readStreams(httpStreams(clientFor(config, ctx), config), catalog, state, ctx);
  },
});

export default source;

/** Programmatic use: `new __CLASS__({config}).discover()`, `.read(catalog, state)`. */
export class __CLASS__ extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
