/** @mage-int/source-gcs — CSV, JSON Lines, JSON and Parquet objects from Google Cloud Storage, on the shared file layer. */
import { SourceClient, type JsonSchema, type SourceClientOptions } from '@mage-int/core';
import { defineFileSource, streamPerFile } from '@mage-int/files';
import { GcsStorage } from '@mage-int/files-gcs';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as GcsSourceConfig } from './generated/config.js';

const source = defineFileSource<Config>('gcs', spec as JsonSchema, (config) => new GcsStorage(config), streamPerFile);

export default source;

/** The programmatic API: `new GcsSource({config: {bucket: 'b', streams: [{name: 'orders', pattern: 'orders/*.parquet'}]}}).read()`. */
export class GcsSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
