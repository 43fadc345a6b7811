import { ConfigError, type JsonSchema } from '@mage-int/core';
import { compressionOf, stripCompressionExtension, type CompressionSetting } from './compression.js';
import { DEFAULT_CSV, type CsvReadOptions } from './formats/csv-reader.js';

export type FileFormat = 'csv' | 'jsonl' | 'json' | 'parquet';
export type FormatSetting = FileFormat | 'auto';

/** The `csv` settings object of a file source (spec: kits/files/source-spec.json). */
export interface CsvConfig {
  delimiter?: string;
  quote?: string;
  escape?: string;
  header?: boolean;
  column_names?: string[];
  encoding?: string;
  null_values?: string[];
  skip_rows?: number;
}

/** One stream of a file source: the files a glob pattern matches. */
export interface FileStreamConfig {
  name: string;
  /** A glob over keys; or `search_pattern`. */
  pattern?: string;
  /** A regular expression a key must contain a match of (Mage's), with `prefix` limiting the listing. */
  search_pattern?: string;
  prefix?: string;
  format?: FormatSetting;
  compression?: CompressionSetting;
  csv?: CsvConfig;
  key_properties?: string[];
  /** The stream's JSON Schema (with `properties`); inferred from a sample of files when absent. */
  schema?: { [key: string]: unknown };
  hive_partitioning?: boolean;
}

/** The settings every file source shares, whatever the storage (local, S3, Azure Blob, GCS). */
export interface FileSourceConfig {
  streams: FileStreamConfig[];
  format?: FormatSetting;
  compression?: CompressionSetting;
  csv?: CsvConfig;
  schema_sample_files?: number;
  schema_sample_rows?: number;
  min_file_age_seconds?: number;
  lookback_seconds?: number;
  start_date?: string;
}

/** How one file is read. */
export interface FileReading {
  format: FileFormat;
  compression: ReturnType<typeof compressionOf>;
  csv: CsvReadOptions;
}

const BY_EXTENSION: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

function csvOptions(global: CsvConfig | undefined, own: CsvConfig | undefined, tsv: boolean): CsvReadOptions {
  const merged: CsvConfig = { ...global, ...own };
  return {
    delimiter: merged.delimiter ?? (tsv ? '\t' : DEFAULT_CSV.delimiter),
    quote: merged.quote ?? DEFAULT_CSV.quote,
    escape: merged.escape ?? merged.quote ?? DEFAULT_CSV.escape,
    header: merged.header ?? DEFAULT_CSV.header,
    ...(merged.column_names ? { columnNames: merged.column_names } : {}),
    encoding: merged.encoding ?? DEFAULT_CSV.encoding,
    nullValues: merged.null_values ?? DEFAULT_CSV.nullValues,
    skipRows: merged.skip_rows ?? DEFAULT_CSV.skipRows,
  };
}

/** How `key` is read for `stream`: the stream's settings, then the source's, then the file name's extensions. */
export function fileReading(config: FileSourceConfig, stream: FileStreamConfig, key: string): FileReading {
  const compression = compressionOf(key, stream.compression ?? config.compression ?? 'auto');
  const ext = /\.[^./]+$/.exec(stripCompressionExtension(key))?.[0]?.toLowerCase() ?? '';
  const setting = stream.format ?? config.format ?? 'auto';
  const format = setting === 'auto' ? BY_EXTENSION[ext] : setting;
  if (format === undefined) {
    throw new ConfigError('FILE_FORMAT_UNKNOWN', `cannot tell the format of ${key} from its name`, {
      stream: stream.name,
      field: 'format',
      hint: 'set `format` (csv, jsonl, json or parquet) for the stream or the source',
    });
  }
  return { format, compression, csv: csvOptions(config.csv, stream.csv, ext === '.tsv') };
}

/** The stream's given schema's properties, or undefined when it is to be inferred. */
export function givenProperties(stream: FileStreamConfig): Record<string, JsonSchema> | undefined {
  if (stream.schema === undefined) return undefined;
  const properties = (stream.schema as JsonSchema).properties;
  if (typeof properties !== 'object' || properties === null) {
    throw new ConfigError('STREAM_SCHEMA_INVALID', 'a given schema needs `properties`', {
      stream: stream.name,
      field: 'schema',
      hint: 'give a JSON Schema object: {"type": "object", "properties": {...}}',
    });
  }
  return properties;
}
