/** @mage-int/source-azure-blob — CSV, JSON Lines, JSON and Parquet objects from Azure Blob Storage, on the shared file layer. */
import { defineSource, SourceClient, type Catalog, type CheckResult, type JsonSchema, type SourceClientOptions, type SourceMessage } from '@mage-int/core';
import { checkFiles, discoverFiles, readFiles } from '@mage-int/files';
import { AzureBlobStorage } from '@mage-int/files-azure';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as AzureBlobSourceConfig } from './generated/config.js';

const source = defineSource<Config>({
  kind: 'source',
  name: 'azure-blob',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    const storage = new AzureBlobStorage(config);
    try {
      return await checkFiles(storage, config);
    } finally {
      await storage.close();
    }
  },
  async discover(config, ctx): Promise<Catalog> {
    const storage = new AzureBlobStorage(config);
    try {
      return await discoverFiles(storage, config, ctx.logger, ctx.signal);
    } finally {
      await storage.close();
    }
  },
  async *read(config, catalog, state, ctx): AsyncGenerator<SourceMessage> {
    const storage = new AzureBlobStorage(config);
    try {
      yield* readFiles(storage, config, catalog, state, ctx);
    } finally {
      await storage.close();
    }
  },
});

export default source;

/** The programmatic API: `new AzureBlobSource({config: {account_name: 'a', account_key: '…', container: 'c', streams: [{name: 'orders', pattern: 'orders/*.parquet'}]}}).read()`. */
export class AzureBlobSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
