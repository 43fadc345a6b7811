/** @mage-int/source-faker — deterministic synthetic customers, products and orders. */
import {
  defineSource,
  SourceClient,
  type Catalog,
  type CheckResult,
  type JsonSchema,
  type SourceClientOptions,
  type SourceMessage,
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
  // Every record is built to its stream's schema (test/generate.test.ts validates them all), so the runner need not
  // validate each one again: at a million orders that check cost more than generating them.
  schemaEnforced: true,
  async check(config): Promise<CheckResult> {
    try {
      const settings = settingsFrom(config);
      const sizes = STREAM_NAMES.map((name) => `${settings.counts[name]} ${name}`).join(', ');
      return { ok: true, message: `generates ${sizes} from seed ${settings.seed}` };
    } catch (error) {
      return { ok: false, message: (error as Error).message, error };
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

/** The programmatic API: `new Faker({config: {seed: 7, orders: 1e6}}).read()`. */
export class Faker extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config> = {}) {
    super(source, options);
  }
}
