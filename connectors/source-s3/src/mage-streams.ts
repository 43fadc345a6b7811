import { ConfigError } from '@mage-int/core';
import type { Config } from './generated/config.js';

/**
 * Mage's ways to say which objects to read, as `streams`: `table_configs` (one stream per `{prefix, search_pattern,
 * table_name}`) or a single `search_pattern` under `prefix`. Mage's prefixes are plain key prefixes from the bucket's
 * root, so the streams get them and the root prefix is the bucket's. A config with `streams` is used as it is.
 * `single_stream_in_prefix: true` without a `search_pattern` is one stream of every key under `prefix`.
 */
export function mageStreams(config: Config): Config {
  const { search_pattern: pattern, table_configs: tableConfigs, single_stream_in_prefix: single, ...rest } = config;
  const searchPattern = pattern ?? (single === true && tableConfigs === undefined ? '' : undefined);
  if (searchPattern === undefined && tableConfigs === undefined) return single === undefined ? config : (rest as Config);
  if (config.streams !== undefined) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `"streams" and Mage's ${tableConfigs ? 'table_configs' : pattern !== undefined ? 'search_pattern' : 'single_stream_in_prefix'} both name the streams`,
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
