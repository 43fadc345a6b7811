/** @mage-int/source-gcs — CSV, JSON Lines, JSON and Parquet objects from Google Cloud Storage, on the shared file layer. */
import { defineSource, SourceClient, type Catalog, type CheckResult, type JsonSchema, type SourceClientOptions, type SourceMessage } from '@mage-int/core';
import { checkFiles, discoverFiles, readFiles } from '@mage-int/files';
import { GcsStorage } from '@mage-int/files-gcs';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as GcsSourceConfig } from './generated/config.js';

const source = defineSource<Config>({
  kind: 'source',
  name: 'gcs',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    const storage = new GcsStorage(config);
    try {
      return await checkFiles(storage, config);
    } finally {
      await storage.close();
    }
  },
  async discover(config, ctx): Promise<Catalog> {
    const storage = new GcsStorage(config);
    try {
      return await discoverFiles(storage, config, ctx.logger, ctx.signal);
    } finally {
      await storage.close();
    }
  },
  async *read(config, catalog, state, ctx): AsyncGenerator<SourceMessage> {
    const storage = new GcsStorage(config);
    try {
      yield* readFiles(storage, config, catalog, state, ctx);
    } finally {
      await storage.close();
    }
  },
});

export default source;

/** The programmatic API: `new GcsSource({config: {bucket: 'b', streams: [{name: 'orders', pattern: 'orders/*.parquet'}]}}).read()`. */
export class GcsSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
