/** @mage-int/source-rest — any REST API, described in the pipeline file (dlt rest_api vocabulary), read on the source kit. */
import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  type CheckResult,
  type JsonSchema,
  type SourceClientOptions,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { discoverCatalog, sampleRecords } from './discover.js';
import type { Config } from './generated/config.js';
import { manifestOf } from './mage-api.js';
import { restStreams } from './streams.js';

export type { Config as RestConfig } from './generated/config.js';
export { resolveResources, type Resource } from './manifest.js';
export { RestStream } from './rest-stream.js';
export { restStreams, restClient } from './streams.js';
export { inferStreamSchema, schemaOf, widen } from './schema-inference.js';
export { parseCsv } from './decode.js';

const source = defineSource<Config>({
  kind: 'source',
  name: 'rest',
  spec: spec as JsonSchema,
  async check(config, ctx): Promise<CheckResult> {
    try {
      const streams = restStreams(manifestOf(config), ctx);
      // The first stream without a parent answers for the base URL and the credentials.
      const root = streams.find((s) => !s.resource.parent) ?? streams[0];
      if (root) await sampleRecords(root, 1, ctx);
      return { ok: true, message: `${streams.length} resource${streams.length === 1 ? '' : 's'}; ${root ? `${root.name} answered` : ''}` };
    } catch (error) {
      return { ok: false, message: formatError(error), error };
    }
  },
  async discover(config, ctx) {
    const manifest = manifestOf(config);
    return discoverCatalog(manifest, restStreams(manifest, ctx), ctx);
  },
  read(config, catalog, state, ctx) {
    return readStreams(restStreams(manifestOf(config), ctx), catalog, state, ctx);
  },
});

export default source;

/** The programmatic API: `new RestSource({config: {client: {base_url}, resources: [...]}}).read()`. */
export class RestSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
