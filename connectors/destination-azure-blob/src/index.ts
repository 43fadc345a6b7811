/** @mage-int/destination-azure-blob — CSV, JSON Lines or Parquet objects in Azure Blob Storage, on the shared file layer. */
import { defineDestination, DestinationClient, type CheckResult, type JsonSchema, type Logger, type StateMessage } from '@mage-int/core';
import { checkFileDestination, writeFiles } from '@mage-int/files';
import { AzureBlobStorage } from '@mage-int/files-azure';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as AzureBlobDestinationConfig } from './generated/config.js';

const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'azure-blob',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    return checkFileDestination(new AzureBlobStorage(config), config);
  },
  write(config, messages, ctx): AsyncIterable<StateMessage> {
    return writeFiles(new AzureBlobStorage(config), config, messages, ctx);
  },
});

export default destination;

/** The programmatic API: `new AzureBlobDestination({config: {account_name: 'a', account_key: '…', container: 'c', format: 'parquet'}}).write(messages)`. */
export class AzureBlobDestination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
