/** @mage-int/destination-gcs — CSV, JSON Lines or Parquet objects in Google Cloud Storage, on the shared file layer. */
import { DestinationClient, type JsonSchema, type Logger } from '@mage-int/core';
import { defineFileDestination } from '@mage-int/files';
import { GcsStorage } from '@mage-int/files-gcs';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as GcsDestinationConfig } from './generated/config.js';

const destination = defineFileDestination<Config>('gcs', spec as JsonSchema, (config) => new GcsStorage(config));

export default destination;

/** The programmatic API: `new GcsDestination({config: {bucket: 'b', format: 'parquet'}}).write(messages)`. */
export class GcsDestination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
