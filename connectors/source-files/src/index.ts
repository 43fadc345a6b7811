/** @mage-int/source-files — CSV, JSON Lines, JSON and Parquet files from a local directory, on the shared file layer. */
import { defineSource, SourceClient, type Catalog, type CheckResult, type JsonSchema, type SourceClientOptions, type SourceMessage } from '@mage-int/core';
import { checkFiles, discoverFiles, LocalStorage, readFiles } from '@mage-int/files';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config as FilesSourceConfig } from './generated/config.js';

const source = defineSource<Config>({
  kind: 'source',
  name: 'files',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    return checkFiles(new LocalStorage(config.root), config);
  },
  async discover(config, ctx): Promise<Catalog> {
    return discoverFiles(new LocalStorage(config.root), config, ctx.logger, ctx.signal);
  },
  read(config, catalog, state, ctx): AsyncIterable<SourceMessage> {
    return readFiles(new LocalStorage(config.root), config, catalog, state, ctx);
  },
});

export default source;

/** The programmatic API: `new FilesSource({config: {root: 'data', streams: [{name: 'orders', pattern: 'orders/*.csv'}]}}).read()`. */
export class FilesSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
