/** @mage-int/source-files — CSV, JSON Lines, JSON and Parquet files from a local directory, on the shared file layer. */
import { SourceClient, type JsonSchema, type SourceClientOptions } from '@mage-int/core';
import { defineFileSource, LocalStorage } from '@mage-int/files';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as FilesSourceConfig } from './generated/config.js';

const source = defineFileSource<Config>('files', spec as JsonSchema, (config) => new LocalStorage(config.root));

export default source;

/** The programmatic API: `new FilesSource({config: {root: 'data', streams: [{name: 'orders', pattern: 'orders/*.csv'}]}}).read()`. */
export class FilesSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
