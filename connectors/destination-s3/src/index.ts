/** @mage-int/destination-s3 — CSV, JSON Lines or Parquet objects in Amazon S3 or an S3-compatible store, on the shared file layer. */
import { DestinationClient, type JsonSchema, type Logger } from '@mage-int/core';
import { defineFileDestination } from '@mage-int/files';
import { S3Storage } from '@mage-int/files-s3';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as S3DestinationConfig } from './generated/config.js';

const destination = defineFileDestination<Config>('s3', spec as JsonSchema, (config) => new S3Storage(config));

export default destination;

/** The programmatic API: `new S3Destination({config: {bucket: 'b', format: 'parquet'}}).write(messages)`. */
export class S3Destination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
