import {
  ConfigError,
  defineDestination,
  defineSource,
  type Destination,
  type JsonSchema,
  type Source,
  type SourceMessage,
  type StateMessage,
} from '@mage-int/core';
import { checkFileDestination, writeFiles, type FileDestinationConfig } from './file-destination.js';
import { checkFiles, discoverFiles, readFiles } from './file-source.js';
import type { FileSourceConfig } from './file-settings.js';
import type { Storage } from './storage.js';

/** Runs `use` with a storage made for the call, closed afterwards (its client's sockets released). */
async function withStorage<T>(storage: Storage, use: (storage: Storage) => Promise<T>): Promise<T> {
  try {
    return await use(storage);
  } finally {
    await storage.close?.();
  }
}

/**
 * A file source connector: `check`, `discover` and `read` of the file layer over the storage `open` makes from
 * the config. A connector package is this call, its spec and its storage.
 */
export function defineFileSource<Config extends Omit<FileSourceConfig, 'streams'> & Partial<Pick<FileSourceConfig, 'streams'>>>(
  name: string,
  spec: JsonSchema,
  open: (config: Config) => Storage,
  prepare: (config: Config, storage: () => Storage, signal?: AbortSignal) => Config | Promise<Config> = (config) => config,
): Source<Config> {
  // `prepare`: another tool's way to name the streams (source-s3's Mage keys, a stream per file for Mage's GCS and
  // Azure Blob sources) turned into `streams`; it may list files through `storage()` (opened for it, then closed).
  const settled = async (input: Config, signal?: AbortSignal): Promise<Config & FileSourceConfig> => {
    let listing: Storage | undefined;
    let config: Config;
    try {
      config = await prepare(input, () => (listing ??= open(input)), signal);
    } finally {
      await listing?.close?.();
    }
    if (!config.streams || config.streams.length === 0)
      throw new ConfigError('CONFIG_INVALID', `invalid config for source ${name}: "streams" is required`, {
        field: 'streams',
        hint: 'one stream per glob pattern: streams: [{name: orders, pattern: "orders/*.csv"}]',
      });
    return config as Config & FileSourceConfig;
  };
  return defineSource<Config>({
    kind: 'source',
    name,
    spec,
    check: async (input) => {
      const config = await settled(input);
      return withStorage(open(config), (storage) => checkFiles(storage, config));
    },
    discover: async (input, ctx) => {
      const config = await settled(input, ctx.signal);
      return withStorage(open(config), (storage) => discoverFiles(storage, config, ctx.logger, ctx.signal));
    },
    async *read(input, catalog, state, ctx): AsyncGenerator<SourceMessage> {
      const config = await settled(input, ctx.signal);
      const storage = open(config);
      try {
        yield* readFiles(storage, config, catalog, state, ctx);
      } finally {
        await storage.close?.();
      }
    },
  });
}

/** A file destination connector: `check` and `write` of the file layer over the storage `open` makes from the config. */
export function defineFileDestination<Config extends FileDestinationConfig>(
  name: string,
  spec: JsonSchema,
  open: (config: Config) => Storage,
): Destination<Config> {
  return defineDestination<Config>({
    kind: 'destination',
    name,
    spec,
    check: (config) => checkFileDestination(open(config), config),
    write: (config, messages, ctx): AsyncIterable<StateMessage> => writeFiles(open(config), config, messages, ctx),
  });
}
