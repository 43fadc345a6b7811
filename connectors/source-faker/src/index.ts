/** @mage-int/source-faker — deterministic synthetic customers, products and orders. */
import {
  defineSource,
  emptyState,
  silentLogger,
  validateConfig,
  type Catalog,
  type CheckResult,
  type ConnectorContext,
  type JsonSchema,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { discoverCatalog } from './discover.js';
import type { Config } from './generated/config.js';
import { readFaker } from './read.js';
import { settingsFrom, STREAM_NAMES } from './settings.js';

export type { Config as FakerConfig } from './generated/config.js';
export { settingsFrom, STREAM_NAMES, INTERVAL_MS, type FakerSettings, type StreamName } from './settings.js';
export { createStreams } from './streams/create-streams.js';
export type { FakerStream } from './streams/faker-stream.js';

const source = defineSource<Config>({
  kind: 'source',
  name: 'faker',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    try {
      const settings = settingsFrom(config);
      const sizes = STREAM_NAMES.map((name) => `${settings.counts[name]} ${name}`).join(', ');
      return { ok: true, message: `generates ${sizes} from seed ${settings.seed}` };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  },
  async discover(config): Promise<Catalog> {
    return discoverCatalog(settingsFrom(config));
  },
  read(config, catalog, state, ctx): AsyncIterable<SourceMessage> {
    return readFaker(settingsFrom(config), catalog, state, ctx);
  },
});

export default source;

function defaultContext(): ConnectorContext {
  return { logger: silentLogger, signal: new AbortController().signal };
}

/**
 * The programmatic API: `new Faker({config: {seed: 7, orders: 1e6}}).read()`.
 * Config is validated (and defaults filled) on construction.
 */
export class Faker {
  readonly config: Config;

  constructor({ config = {} }: { config?: Config } = {}) {
    this.config = validateConfig<Config>(source.spec, config, 'source faker');
  }

  check(ctx: ConnectorContext = defaultContext()): Promise<CheckResult> {
    return source.check(this.config, ctx);
  }

  discover(ctx: ConnectorContext = defaultContext()): Promise<Catalog> {
    return source.discover(this.config, ctx);
  }

  /** Reads every stream the catalog selects (every stream, FULL_TABLE, by default) from `state`. */
  async *read(catalog?: Catalog, state: State = emptyState(), ctx: ConnectorContext = defaultContext()): AsyncGenerator<SourceMessage> {
    yield* source.read(this.config, catalog ?? (await this.discover(ctx)), state, ctx);
  }
}
