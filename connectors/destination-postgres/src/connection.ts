import pg from 'pg';
import { ConnectorError, tlsFailureHint, tlsOptions, validateConfig, type JsonSchema } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { assertSchemaWritable } from './schema-access.js';
import type { Config, ResolvedConfig as FilledConfig } from './generated/config.js';

/** The config with the spec's defaults applied (validateConfig fills them; programmatic callers may not have called it). */
export interface ResolvedConfig {
  host: string;
  port: number;
  database: string;
  schema: string;
  username: string;
  password?: string;
  sslMode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  sslCaFile?: string;
  sslCertFile?: string;
  sslKeyFile?: string;
  hardDelete: boolean;
  addRecordMetadata: boolean;
  batchSizeRows: number;
  batchSizeBytes: number;
  batchMaxAgeMs: number;
  nul: 'reject' | 'strip';
  lowercase: boolean;
  tablePrefix: string;
  /** The one stream's table (Mage's `table`). */
  table?: string;
  skipSchemaCreation: boolean;
  allowReservedWords: boolean;
  directLoad: boolean;
  deferPrimaryKey: boolean;
  interpretContentEncoding: boolean;
}

/** Validates a config, filling the spec's defaults (throws ConfigError), as the settings the code uses. */
export function resolveConfig(input: Config): ResolvedConfig {
  const config = validateConfig<FilledConfig>(spec as JsonSchema, input, 'destination postgres');
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    schema: config.schema,
    username: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    sslMode: config.ssl_mode,
    ...(config.ssl_ca_file ? { sslCaFile: config.ssl_ca_file } : {}),
    ...(config.ssl_cert_file ? { sslCertFile: config.ssl_cert_file } : {}),
    ...(config.ssl_key_file ? { sslKeyFile: config.ssl_key_file } : {}),
    hardDelete: config.hard_delete,
    addRecordMetadata: config.add_record_metadata,
    batchSizeRows: config.batch_size_rows,
    batchSizeBytes: config.batch_size_bytes,
    batchMaxAgeMs: config.batch_max_age_seconds * 1000,
    nul: config.nul_characters,
    lowercase: config.lowercase_identifiers,
    tablePrefix: config.table_prefix,
    // Mage's template writes an empty table: no table of its own then.
    ...(config.table ? { table: config.table } : {}),
    skipSchemaCreation: config.skip_schema_creation,
    allowReservedWords: config.allow_reserved_words,
    directLoad: config.direct_load,
    deferPrimaryKey: config.defer_primary_key,
    interpretContentEncoding: config.interpret_content_encoding,
  };
}

/**
 * Opens a session with settings that make text input unambiguous: UTC for timestamps without an offset,
 * ISO dates, and notices (`… already exists, skipping`) kept out of the logs.
 */
export async function connect(config: ResolvedConfig): Promise<pg.Client> {
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ssl: tlsOptions({
      ssl_mode: config.sslMode,
      ssl_ca_file: config.sslCaFile,
      ssl_cert_file: config.sslCertFile,
      ssl_key_file: config.sslKeyFile,
    }),
    application_name: 'mage-int destination-postgres',
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
  });
  try {
    await client.connect();
    // The loader bounds its own transactions (batch_max_age_seconds), and a transaction may wait on a slow
    // source between chunks: a server-side idle-in-transaction limit must not cut it off.
    await client.query(
      `SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'postgres'; SET client_min_messages TO warning; SET idle_in_transaction_session_timeout TO 0`,
    );
  } catch (error) {
    await client.end().catch(() => {});
    throw new ConnectorError(
      'CONNECT_FAILED',
      `cannot connect to PostgreSQL at ${config.host}:${config.port}/${config.database} as ${config.username}: ${(error as Error).message}`,
      {
        cause: error,
        hint: tlsFailureHint((error as Error).message, config.sslMode) ?? 'check host, port, database, username, password and ssl_mode',
      },
    );
  }
  // A dropped connection outside a query must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await assertSchemaWritable(client, { ...config, mayCreateSchema: !config.skipSchemaCreation });
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}
