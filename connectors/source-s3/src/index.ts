/** @mage-int/source-s3 — CSV, JSON Lines, JSON and Parquet objects from Amazon S3 or an S3-compatible store, on the shared file layer. */
import { SourceClient, type JsonSchema, type SourceClientOptions } from '@mage-int/core';
import { defineFileSource } from '@mage-int/files';
import { S3Storage } from '@mage-int/files-s3';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';
import { mageStreams } from './mage-streams.js';

export type { Config as S3SourceConfig } from './generated/config.js';

const source = defineFileSource<Config>('s3', spec as JsonSchema, (config) => new S3Storage(config), mageStreams);

export default source;

/** The programmatic API: `new S3Source({config: {bucket: 'b', streams: [{name: 'orders', pattern: 'orders/*.parquet'}]}}).read()`. */
export class S3Source extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
