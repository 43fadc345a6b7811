import type { BigQuery } from '@google-cloud/bigquery';
import { bigQueryClient } from '@mage-int/bigquery';
import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  validateConfig,
  type Catalog,
  type JsonSchema,
  type SourceClientOptions,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { bigQueryStream } from './bigquery-stream.js';
import { catalogOf, streamSources } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';

export type { Config, ResolvedConfig } from './generated/config.js';
export { fieldSchema, cellValue, type BigQueryField } from './type-map.js';
export { bigQueryStream, type StreamSource } from './bigquery-stream.js';

/** The config checked against the spec, every default filled in. */
export function resolveConfig(input: Config): ResolvedConfig {
  return validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source bigquery');
}

function client(config: ResolvedConfig): BigQuery {
  return bigQueryClient(config);
}

/** The BigQuery source: tables of a dataset and configured queries, read through query jobs page by page. */
const source = defineSource<Config>({
  kind: 'source',
  name: 'bigquery',
  spec: spec as JsonSchema,

  async check(input) {
    try {
      const config = resolveConfig(input);
      const sources = await streamSources(client(config), config);
      return { ok: true, message: `dataset ${config.dataset}: ${sources.length} streams` };
    } catch (error) {
      return { ok: false, message: formatError(error), error };
    }
  },

  async discover(input): Promise<Catalog> {
    const config = resolveConfig(input);
    return catalogOf(await streamSources(client(config), config), config.dataset);
  },

  async *read(input, catalog, state, ctx) {
    const config = resolveConfig(input);
    const bigquery = client(config);
    const sources = await streamSources(bigquery, config);
    const settings = { pageSize: config.page_size, ...(config.location ? { location: config.location } : {}) };
    yield* readStreams(
      sources.map((s) => bigQueryStream(bigquery, s, settings)),
      catalog,
      state,
      ctx,
    );
  },
});

export default source;

/** Programmatic use: `new BigQuerySource({config}).discover()`, `.read(catalog, state)`. */
export class BigQuerySource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
