/** @mage-int/destination-azure-blob — CSV, JSON Lines or Parquet objects in Azure Blob Storage, on the shared file layer. */
import { DestinationClient, type JsonSchema, type Logger } from '@mage-int/core';
import { defineFileDestination } from '@mage-int/files';
import { AzureBlobStorage } from '@mage-int/files-azure';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as AzureBlobDestinationConfig } from './generated/config.js';

const destination = defineFileDestination<Config>('azure-blob', spec as JsonSchema, (config) => new AzureBlobStorage(config));

export default destination;

/** The programmatic API: `new AzureBlobDestination({config: {account_name: 'a', account_key: '…', container: 'c', format: 'parquet'}}).write(messages)`. */
export class AzureBlobDestination extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
