import {
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
export function defineFileSource<Config extends FileSourceConfig>(
  name: string,
  spec: JsonSchema,
  open: (config: Config) => Storage,
): Source<Config> {
  return defineSource<Config>({
    kind: 'source',
    name,
    spec,
    check: (config) => withStorage(open(config), (storage) => checkFiles(storage, config)),
    discover: (config, ctx) => withStorage(open(config), (storage) => discoverFiles(storage, config, ctx.logger, ctx.signal)),
    async *read(config, catalog, state, ctx): AsyncGenerator<SourceMessage> {
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
