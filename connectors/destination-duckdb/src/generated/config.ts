/* Generated from spec.json by scripts/connector-codegen.mjs. Do not edit. */

/**
 * Loads Singer streams into a DuckDB database file (embedded: no server).
 */
export interface Config {
/**
 * The DuckDB database file, created when missing (with its directory). Relative paths resolve from the pipeline file's directory. ":memory:" keeps everything in memory (gone when the load ends).
 */
path?: string
/**
 * Schema the tables are created in (created when missing).
 */
schema?: string
/**
 * Commit once this many records (all streams together) are buffered.
 */
batch_size_rows?: number
/**
 * Commit once the buffered records hold about this many bytes of data (an estimate from the values).
 */
batch_size_bytes?: number
/**
 * Commit buffered records at the latest this long after the first of them arrived, even if the source is quiet.
 */
batch_max_age_ms?: number
/**
 * Remove rows for ACTIVATE_VERSION and CDC deletes. When false, they are kept and marked in `_sdc_deleted_at` (soft delete).
 */
hard_delete?: boolean
/**
 * Add `_sdc_extracted_at`, `_sdc_received_at`, `_sdc_batched_at`, `_sdc_deleted_at`, `_sdc_sequence` and `_sdc_table_version` to every table.
 */
add_metadata_columns?: boolean
/**
 * Fold table and column names to lower case. Names are always normalised to letters, digits and `_`.
 */
lowercase_identifiers?: boolean
}
