/** @mage-int/destination-files — CSV, JSON Lines or Parquet files in a local directory, on the shared file layer. */
import { DestinationClient, type JsonSchema, type Logger } from '@mage-int/core';
import { defineFileDestination, LocalStorage } from '@mage-int/files';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as FilesDestinationConfig } from './generated/config.js';

const destination = defineFileDestination<Config>('files', spec as JsonSchema, (config) => new LocalStorage(config.root));

export default destination;

/** The programmatic API: `new FilesDestination({config: {root: 'out', format: 'parquet'}}).write(messages)`. */
export class FilesDestination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
