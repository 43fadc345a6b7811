/** @mage-int/destination-gcs — CSV, JSON Lines or Parquet objects in Google Cloud Storage, on the shared file layer. */
import { defineDestination, DestinationClient, type CheckResult, type JsonSchema, type Logger, type StateMessage } from '@mage-int/core';
import { checkFileDestination, writeFiles } from '@mage-int/files';
import { GcsStorage } from '@mage-int/files-gcs';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as GcsDestinationConfig } from './generated/config.js';

const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'gcs',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    return checkFileDestination(new GcsStorage(config), config);
  },
  write(config, messages, ctx): AsyncIterable<StateMessage> {
    return writeFiles(new GcsStorage(config), config, messages, ctx);
  },
});

export default destination;

/** The programmatic API: `new GcsDestination({config: {bucket: 'b', format: 'parquet'}}).write(messages)`. */
export class GcsDestination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
