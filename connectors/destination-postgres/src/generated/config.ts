/* Generated from spec.json by scripts/connector-codegen.mjs. Do not edit. */

export interface Config {
/**
 * Server host name or IP address.
 */
host?: string
/**
 * Server port.
 */
port?: number
/**
 * Database to load into (must exist).
 */
database: string
/**
 * Target schema; created when missing. Used as given (not normalised).
 */
schema?: string
/**
 * User to connect as.
 */
username?: string
/**
 * Password of `username`.
 */
password?: string
/**
 * `require` encrypts without checking the certificate, `verify-ca` checks it against `ssl_ca_file`, `verify-full` also checks the host name.
 */
ssl_mode?: ("disable" | "require" | "verify-ca" | "verify-full")
/**
 * PEM file of the certificate authority (verify-ca, verify-full).
 */
ssl_ca_file?: string
/**
 * PEM client certificate, for certificate authentication.
 */
ssl_cert_file?: string
/**
 * PEM private key of the client certificate.
 */
ssl_key_file?: string
/**
 * Delete rows for real: on ACTIVATE_VERSION rows of older versions are removed, and records carrying `_sdc_deleted_at` delete their row by key. When false, those rows get `_sdc_deleted_at` set instead (soft delete).
 */
hard_delete?: boolean
/**
 * Add the columns `_sdc_extracted_at`, `_sdc_received_at`, `_sdc_batched_at`, `_sdc_deleted_at`, `_sdc_sequence` and `_sdc_table_version` to every table.
 */
add_record_metadata?: boolean
/**
 * Commit after this many records (all streams together).
 */
batch_size_rows?: number
/**
 * Commit after this many bytes of COPY data (all streams together).
 */
batch_size_bytes?: number
/**
 * Commit when the oldest uncommitted record is this old, even while input is idle.
 */
batch_max_age_seconds?: number
/**
 * PostgreSQL text and jsonb cannot hold the NUL character (U+0000): `reject` stops with an error naming the stream, record and field; `strip` removes it.
 */
nul_characters?: ("reject" | "strip")
/**
 * Fold table and column names to lower case. When false the case is kept (and names must be quoted in SQL).
 */
lowercase_identifiers?: boolean
/**
 * Prepended to every table name before normalisation, e.g. `raw_`.
 */
table_prefix?: string
/**
 * Upsert and append streams COPY straight into the target table while no key conflicts (checked by the primary key), falling back to the staging merge at the first conflict. Switch off to always stage.
 */
direct_load?: boolean
}
