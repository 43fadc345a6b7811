import { ConfigError, ConnectorError, tlsFailureHint, tlsOptions } from '@mage-int/core';
import pg from 'pg';
import type { Config, ResolvedConfig } from './generated/config.js';

/**
 * Session settings that make PostgreSQL's text output stable for the parsers in text-values.ts. Sent in the
 * startup packet, so they hold for COPY, plain queries and the walsender's pgoutput alike.
 */
const SESSION_OPTIONS = [
  'DateStyle=ISO,MDY',
  'TimeZone=UTC',
  'IntervalStyle=iso_8601',
  'bytea_output=hex',
  'extra_float_digits=1',
  'lc_monetary=C',
  'client_encoding=UTF8',
]
  .map((o) => `-c ${o}`)
  .join(' ');

/** The schemas the config names, as a list. */
export function configuredSchemas(config: ResolvedConfig): string[] {
  const schema = config.schema;
  return Array.isArray(schema) ? [...schema] : [schema];
}

/** Client settings for a config; `replication` opens a logical walsender connection. */
export function clientConfig(config: ResolvedConfig, options: { replication?: boolean; applicationName?: string } = {}): pg.ClientConfig {
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ssl: tlsOptions(config),
    connectionTimeoutMillis: Math.round(config.connect_timeout_seconds * 1000),
    application_name: options.applicationName ?? 'mage-int source-postgres',
    options: SESSION_OPTIONS,
    ...(options.replication ? { replication: 'database' } : {}),
  } as pg.ClientConfig;
}

/** Opens a connection, turning connection failures into errors that say what to fix. */
export async function connect(
  config: ResolvedConfig,
  options: { replication?: boolean; applicationName?: string; types?: pg.CustomTypesConfig } = {},
): Promise<pg.Client> {
  const client = new pg.Client({ ...clientConfig(config, options), ...(options.types ? { types: options.types } : {}) });
  // An error on an idle connection (server restart) must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw explainError(error, config);
  }
  return client;
}

/** PostgreSQL error fields node-postgres exposes. */
export interface PgErrorFields {
  code?: string;
  message: string;
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}

/** Maps a driver/server error to a ConnectorError with a hint, keeping the original as cause. */
export function explainError(error: unknown, config: Config, stream?: string): Error {
  if (error instanceof ConnectorError || error instanceof ConfigError) return error;
  const code = pgCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const where = `${config.username}@${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database}`;
  const make = (errCode: string, text: string, hint: string) =>
    new ConnectorError(errCode, text, { hint, cause: error, ...(stream ? { stream } : {}) });
  switch (code) {
    case '28P01':
    case '28000':
      return make(
        'AUTH_FAILED',
        `authentication failed for ${where}: ${message}`,
        'check username and password (and pg_hba.conf on the server)',
      );
    case '3D000':
      return make(
        'DATABASE_NOT_FOUND',
        `database "${config.database}" does not exist on ${config.host ?? 'localhost'}`,
        'check the `database` setting',
      );
    case '42501':
      return make(
        'PERMISSION_DENIED',
        message,
        `grant the user read access, e.g. GRANT USAGE ON SCHEMA <schema> TO ${config.username}; GRANT SELECT ON ALL TABLES IN SCHEMA <schema> TO ${config.username}; LOG_BASED also needs ALTER ROLE ${config.username} WITH REPLICATION`,
      );
    case '42P01':
      return make('TABLE_NOT_FOUND', message, 'the table was dropped or renamed: run discovery again and update the stream selection');
    case '55006':
      return make(
        'REPLICATION_SLOT_IN_USE',
        message,
        'another process is reading this replication slot: stop it, or set a different `replication_slot`',
      );
    case '55000':
      if (/wal_level/i.test(message)) {
        return make(
          'WAL_LEVEL_NOT_LOGICAL',
          message,
          'set wal_level = logical in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL',
        );
      }
      return make('OBJECT_STATE', message, 'see the PostgreSQL message above');
    case '53400':
      return make(
        'REPLICATION_SLOTS_FULL',
        message,
        'raise max_replication_slots or drop unused slots (SELECT pg_drop_replication_slot(name))',
      );
  }
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|timeout expired|Connection terminated/i.test(message)) {
    return make(
      'CONNECTION_FAILED',
      `cannot connect to ${where}: ${message}`,
      'check host, port and that PostgreSQL accepts TCP connections from here',
    );
  }
  const tlsHint = tlsFailureHint(message, config.ssl_mode);
  if (tlsHint) return make('SSL_FAILED', `SSL connection to ${where} failed: ${message}`, tlsHint);
  return make('POSTGRES_ERROR', message, 'see the PostgreSQL message above');
}

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a text value as an SQL literal with the driver's escaping (right whatever standard_conforming_strings says). */
export function literal(value: string): string {
  return pg.escapeLiteral(value);
}

export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}
