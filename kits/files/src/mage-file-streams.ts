import { ConfigError } from '@mage-int/core';
import { stripCompressionExtension } from './compression.js';
import type { FileSourceConfig, FileStreamConfig, FormatSetting } from './file-settings.js';
import type { Storage } from './storage.js';

const EXTENSIONS: Record<Exclude<FormatSetting, 'auto'>, readonly string[]> = {
  csv: ['.csv', '.tsv', '.txt'],
  jsonl: ['.jsonl', '.ndjson'],
  json: ['.json'],
  parquet: ['.parquet', '.pq'],
};

/** A key as a glob pattern matching only itself (`*`, `?`, `[`, `{` as one-character classes). */
function literalPattern(key: string): string {
  return key.replace(/[*?[{]/g, (c) => `[${c}]`);
}

/**
 * Mage's GCS and Azure Blob sources read every file under `prefix` as a stream of its own, named by its full key
 * without the extension, other dots becoming `_` (`exports/users.2024.csv` → `exports/users_2024`), and keep only the
 * files of their `file_type`. A config without `streams` is read that way here: the files found under the root (the
 * bucket or container and `prefix`) become the streams. A config with `streams` is used as it is.
 */
export async function streamPerFile<Config extends Partial<Pick<FileSourceConfig, 'streams' | 'format'>> & { prefix?: string }>(
  config: Config,
  open: () => Storage,
  signal?: AbortSignal,
): Promise<Config> {
  if (config.streams && config.streams.length > 0) return config;
  const storage = open();
  const format = config.format ?? 'auto';
  const wanted = format === 'auto' ? Object.values(EXTENSIONS).flat() : EXTENSIONS[format];
  const streams: FileStreamConfig[] = [];
  for await (const file of storage.list('', signal)) {
    const plain = stripCompressionExtension(file.key);
    const ext = /\.[^./]+$/.exec(plain)?.[0]?.toLowerCase();
    if (ext === undefined || !wanted.includes(ext) || file.size === 0 || file.key.split('/').some((part) => part.startsWith('.'))) continue;
    const parts = `${config.prefix ?? ''}${plain}`.split('.');
    streams.push({ name: parts.slice(0, -1).join('_'), pattern: literalPattern(file.key) });
  }
  if (streams.length === 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `no ${format === 'auto' ? '' : `${format} `}files under ${storage.location} to read as Mage's streams (and no "streams")`,
      {
        field: 'streams',
        hint: 'check bucket, prefix and file_type, or name the streams: streams: [{name: orders, pattern: "orders/*.csv"}]',
      },
    );
  }
  return { ...config, streams: streams.sort((a, b) => a.name.localeCompare(b.name)) };
}
