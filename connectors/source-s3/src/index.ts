/** @mage-int/source-s3 — CSV, JSON Lines, JSON and Parquet objects from Amazon S3 or an S3-compatible store, on the shared file layer. */
import { defineSource, SourceClient, type Catalog, type CheckResult, type JsonSchema, type SourceClientOptions, type SourceMessage } from '@mage-int/core';
import { checkFiles, discoverFiles, readFiles } from '@mage-int/files';
import { S3Storage } from '@mage-int/files-s3';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as S3SourceConfig } from './generated/config.js';

const source = defineSource<Config>({
  kind: 'source',
  name: 's3',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    const storage = new S3Storage(config);
    try {
      return await checkFiles(storage, config);
    } finally {
      await storage.close();
    }
  },
  async discover(config, ctx): Promise<Catalog> {
    const storage = new S3Storage(config);
    try {
      return await discoverFiles(storage, config, ctx.logger, ctx.signal);
    } finally {
      await storage.close();
    }
  },
  async *read(config, catalog, state, ctx): AsyncGenerator<SourceMessage> {
    const storage = new S3Storage(config);
    try {
      yield* readFiles(storage, config, catalog, state, ctx);
    } finally {
      await storage.close();
    }
  },
});

export default source;

/** The programmatic API: `new S3Source({config: {bucket: 'b', streams: [{name: 'orders', pattern: 'orders/*.parquet'}]}}).read()`. */
export class S3Source extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
