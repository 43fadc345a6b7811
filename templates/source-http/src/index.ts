import {
  ConfigError,
  defineSource,
  emptyState,
  selectedStreams,
  silentLogger,
  validateConfig,
  type Catalog,
  type ConnectorContext,
  type JsonSchema,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { discoverStreams } from './discover.js';
import type { Config } from './generated/config.js';
import { HttpClient } from './http-client.js';
import { readStream } from './read-stream.js';
import { STREAMS } from './streams.js';

export type { Config } from './generated/config.js';
export { HttpClient } from './http-client.js';
export { STREAMS, type StreamDefinition } from './streams.js';

function clientFor(config: Config, ctx: ConnectorContext): HttpClient {
  try {
    new URL(config.base_url);
  } catch {
    throw new ConfigError('CONFIG_INVALID', `base_url "${config.base_url}" is not a URL`, { field: 'base_url', hint: 'e.g. https://api.__NAME__.example' });
  }
  return new HttpClient({
    baseUrl: config.base_url,
    apiKey: config.api_key,
    maxRetries: config.max_retries ?? 5,
    timeoutMs: config.request_timeout_ms ?? 30_000,
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
      return { ok: false, message: (error as Error).message };
    }
  },

  async discover() {
    return discoverStreams();
  },

  async *read(config, catalog, state, ctx): AsyncGenerator<SourceMessage> {
    const client = clientFor(config, ctx);
    let current = state;
    for (const stream of selectedStreams(catalog)) {
      const definition = STREAMS.find((s) => s.name === stream.stream);
      if (!definition) {
        ctx.logger.warn(`stream "${stream.stream}" is in the catalog but not offered by this source; skipped`);
        continue;
      }
      current = yield* readStream({ client, definition, stream, pageSize: config.page_size ?? 100, startDate: config.start_date, signal: ctx.signal }, current);
    }
  },
});

export default source;

/** Programmatic use: `new __CLASS__({config}).discover()`, `.read(catalog, state)`. */
export class __CLASS__ {
  private readonly config: Config;
  private readonly ctx: ConnectorContext;

  constructor(options: { config: unknown; logger?: ConnectorContext['logger']; signal?: AbortSignal }) {
    this.config = validateConfig<Config>(source.spec, options.config, 'source __NAME__');
    this.ctx = { logger: options.logger ?? silentLogger, signal: options.signal ?? new AbortController().signal };
  }

  check() {
    return source.check(this.config, this.ctx);
  }

  discover(): Promise<Catalog> {
    return source.discover(this.config, this.ctx);
  }

  read(catalog: Catalog, state: State = emptyState()): AsyncIterable<SourceMessage> {
    return source.read(this.config, catalog, state, this.ctx);
  }
}

