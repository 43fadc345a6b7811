import { ConfigError } from '@mage-int/core';
import type { Config } from './generated/config.js';

/**
 * Mage's ways to say which objects to read, as `streams`: `table_configs` (one stream per `{prefix, search_pattern,
 * table_name}`) or a single `search_pattern` under `prefix`. Mage's prefixes are plain key prefixes from the bucket's
 * root, so the streams get them and the root prefix is the bucket's. A config with `streams` is used as it is.
 */
export function mageStreams(config: Config): Config {
  const { search_pattern: searchPattern, table_configs: tableConfigs, ...rest } = config;
  if (searchPattern === undefined && tableConfigs === undefined) return config;
  if (config.streams !== undefined) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `"streams" and Mage's ${tableConfigs ? 'table_configs' : 'search_pattern'} both name the streams`,
      {
        field: 'streams',
        hint: 'give one of them',
      },
    );
  }
  if (tableConfigs !== undefined) {
    return {
      ...rest,
      prefix: '',
      streams: tableConfigs.map((table) => ({ name: table.table_name, search_pattern: table.search_pattern, prefix: table.prefix })),
    } as Config;
  }
  const prefix = config.prefix ?? '';
  // Mage names the stream after the folders of the keys it reads: those of the prefix, for files right under it.
  const folders = prefix
    .split('/')
    .slice(0, -1)
    .filter((part) => part !== '');
  const name = folders.length > 0 ? folders.join('_') : config.bucket;
  return { ...rest, prefix: '', streams: [{ name, search_pattern: searchPattern as string, prefix }] } as Config;
}
