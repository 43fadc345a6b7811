/** @mage-int/destination-duckdb — loads Singer streams into DuckDB, the embedded default destination. */
import { defineDestination } from '@mage-int/core';
import { checkDuckDB, executeDuckDB } from './duckdb.js';
import { configSpec, type Config } from './options.js';
import { writeToDuckDB } from './write.js';

const duckdb = defineDestination<Config>({
  kind: 'destination',
  name: 'duckdb',
  spec: configSpec,
  check: (config) => checkDuckDB(config),
  write: (config, messages, ctx) => writeToDuckDB(config, messages, ctx),
  // A source's records in Parquet files load with one INSERT … FROM read_parquet (DuckDBSession.loadBatchFiles); a
  // source's own Parquet file with a view (`parquet-view`) too, the view applied inside the INSERT, and a CSV's
  // numbered rows (`csv-view`, @mage-int/files) with DuckDB's CSV reader and the files kit's conversions.
  loadsBatchFiles: ['parquet', 'parquet-view', 'csv-view'],
  // PostgreSQL COPY text a source sends beside its records goes to DuckDB's CSV reader where its types read back exactly (native-rows.ts).
  loadsNativeRows: ['postgresql-copy-text'],
  execute: (config, sql) => executeDuckDB(config, sql),
});

export default duckdb;
export { DuckDB, checkDuckDB, type DuckDBOptions } from './duckdb.js';
export { writeToDuckDB } from './write.js';
export { DuckDBDialect, DUCKDB_MAX_IDENTIFIER_BYTES } from './duckdb-dialect.js';
export { resolveConfig, configSpec, type Config, type ResolvedConfig } from './options.js';
export { duckTypeFor, widenDuckType, parseDuckType, sqlType, type DuckType, type DuckKind } from './type-map.js';
export { timestampMicros } from './timestamps.js';
export { plainNumber, type PlainNumber } from './exact-number.js';
