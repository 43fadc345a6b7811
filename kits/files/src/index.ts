/** @mage-int/files — the file layer shared by every file source and destination, local and object stores alike. */
export type { FileInfo, Storage } from './storage.js';
export { LocalStorage, syncPath, isStagingName } from './local-storage.js';
export { globToRegExp, staticPrefix, hivePartitions } from './glob.js';
export { compressionOf, compressor, decompressor, type Compression, type CompressionSetting } from './compression.js';
export { FileDataError } from './file-errors.js';
export { readCsvRows, DEFAULT_CSV, type CsvReadOptions } from './formats/csv-reader.js';
export { readJsonLines, readJsonArray } from './formats/json-reader.js';
export { readParquetRows, parquetSchema } from './formats/parquet-reader.js';
export type { RawRow } from './formats/raw-row.js';
export { TextFileWriter } from './formats/file-writer.js';
export { ParquetFileWriter } from './formats/parquet-writer.js';
export { Duck } from './duck.js';
export { SchemaInference, kindOfText, kindOfValue, widenKind, kindSchema, type ValueKind } from './schema-inference.js';
export { fileReading, type FileSourceConfig, type FileStreamConfig, type CsvConfig, type FileFormat } from './file-settings.js';
export { SOURCE_FILE, SOURCE_LINENO, SOURCE_LAST_MODIFIED } from './metadata-columns.js';
export { discoverFiles, readFiles, checkFiles, matchingFiles, streamSchema } from './file-source.js';
export { writeFiles, checkFileDestination, streamFolder, type FileDestinationConfig } from './file-destination.js';
export { parsePartitionBy, partitionFolder, NULL_PARTITION } from './partition-path.js';
