/** @mage-int/destination-duckdb — loads Singer streams into DuckDB, the embedded default destination. */
import { defineDestination } from '@mage-int/core';
import { checkDuckDB } from './duckdb.js';
import { configSpec, type Config } from './options.js';
import { writeToDuckDB } from './write.js';

const duckdb = defineDestination<Config>({
  kind: 'destination',
  name: 'duckdb',
  spec: configSpec,
  check: (config) => checkDuckDB(config),
  write: (config, messages, ctx) => writeToDuckDB(config, messages, ctx),
});

export default duckdb;
export { DuckDB, checkDuckDB, type DuckDBWriteOptions } from './duckdb.js';
export { writeToDuckDB, type WriteOptions } from './write.js';
export { resolveConfig, configSpec, type Config, type ResolvedConfig } from './options.js';
export { duckTypeFor, widenDuckType, parseDuckType, sqlType, type DuckType, type DuckKind } from './type-map.js';
export { mergeStatement, activateVersionStatement, type MergePlan } from './merge-sql.js';
export { timestampMicros } from './timestamps.js';
export { plainNumber, type PlainNumber } from './exact-number.js';
export { METADATA_COLUMNS, type MetadataColumn } from './metadata-columns.js';
