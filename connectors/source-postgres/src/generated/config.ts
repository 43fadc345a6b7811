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
 * Database to read from.
 */
database: string
/**
 * Schema, or list of schemas, whose tables, views, materialized views and partitioned tables are discovered.
 */
schema?: (string | [string, ...(string)[]])
/**
 * User to connect as.
 */
username: string
/**
 * Password of `username`.
 */
password?: string
/**
 * `require` encrypts without checking the certificate; `verify-ca` checks it against `ssl_root_cert`; `verify-full` also checks the host name.
 */
ssl_mode?: ("disable" | "require" | "verify-ca" | "verify-full")
/**
 * PEM file of the CA certificate(s) that signed the server certificate.
 */
ssl_root_cert?: string
/**
 * PEM file of the client certificate (certificate authentication).
 */
ssl_client_cert?: string
/**
 * PEM file of the client certificate's private key.
 */
ssl_client_key?: string
/**
 * Key columns for views and tables without a primary key, by `schema.table`, e.g. `{"public.active_users": ["id"]}`.
 */
key_properties?: {
[k: string]: string[] | undefined
}
/**
 * Rows per RECORD_BATCH message and per STATE bookmark; also the page size of INCREMENTAL keyset queries.
 */
batch_size?: number
/**
 * Logical replication slot used by LOG_BASED streams; created when missing. Default: `mage_int_<database>`.
 */
replication_slot?: string
/**
 * Publication used by LOG_BASED streams; created (and given the selected tables) when missing. Default: `mage_int_<database>`.
 */
publication_name?: string
/**
 * LOG_BASED: keep streaming changes until cancelled instead of stopping at the WAL position current when the run started.
 */
follow?: boolean
/**
 * LOG_BASED: how often an idle stream reports its position, so a slot never holds WAL for tables without changes.
 */
heartbeat_seconds?: number
/**
 * Give up connecting after this many seconds.
 */
connect_timeout_seconds?: number
}
