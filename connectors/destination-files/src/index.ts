/** @mage-int/destination-files — CSV, JSON Lines or Parquet files in a local directory, on the shared file layer. */
import { defineDestination, DestinationClient, type CheckResult, type JsonSchema, type Logger, type StateMessage } from '@mage-int/core';
import { checkFileDestination, LocalStorage, writeFiles } from '@mage-int/files';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as FilesDestinationConfig } from './generated/config.js';

const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'files',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    return checkFileDestination(new LocalStorage(config.root), config);
  },
  write(config, messages, ctx): AsyncIterable<StateMessage> {
    return writeFiles(new LocalStorage(config.root), config, messages, ctx);
  },
});

export default destination;

/** The programmatic API: `new FilesDestination({config: {root: 'out', format: 'parquet'}}).write(messages)`. */
export class FilesDestination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
