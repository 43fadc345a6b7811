/** @mage-int/source-azure-blob — CSV, JSON Lines, JSON and Parquet objects from Azure Blob Storage, on the shared file layer. */
import { SourceClient, type JsonSchema, type SourceClientOptions } from '@mage-int/core';
import { defineFileSource, streamPerFile } from '@mage-int/files';
import { AzureBlobStorage } from '@mage-int/files-azure';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as AzureBlobSourceConfig } from './generated/config.js';

const source = defineFileSource<Config>('azure-blob', spec as JsonSchema, (config) => new AzureBlobStorage(config), streamPerFile);

export default source;

/** The programmatic API: `new AzureBlobSource({config: {account_name: 'a', account_key: '…', container: 'c', streams: [{name: 'orders', pattern: 'orders/*.parquet'}]}}).read()`. */
export class AzureBlobSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
