import { ConfigError, ConnectorError, tlsFailureHint, tlsOptions } from '@mage-int/core';
import mysql from 'mysql2';
import type { Connection, ConnectionOptions, FieldPacket, QueryError, RowDataPacket } from 'mysql2';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)

/** The databases the config names. */
export function configuredDatabases(config: Config): string[] {
  if (config.databases && config.databases.length > 0) return [...config.databases];
  if (config.database) return [config.database];
  throw new ConfigError('DATABASE_MISSING', 'no database to read: set `database` or `databases`', {
    field: 'database',
    hint: 'name the MySQL database (schema) whose tables to read',
  });
}

/**
 * mysql2 options for a config. Values come from mysql2's own compiled row parser in forms that lose nothing —
 * dates and timestamps as text (microseconds kept), BIGINT and DECIMAL as text, JSON as its text, binary as bytes —
 * and the column converters of type-map.ts make the exact record values from them (bigint, Decimal, ISO times).
 */
export function connectionOptions(config: Config): ConnectionOptions {
  const ssl = tlsOptions(config);
  const databases = config.databases ?? [];
  return {
    host: config.host,
    port: config.port,
    user: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.database && databases.length === 0 ? { database: config.database } : {}),
    ...(ssl ? { ssl: ssl as ConnectionOptions['ssl'] } : {}),
    connectTimeout: Math.round(config.connect_timeout_seconds * 1000),
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
  };
}

/** A connection and the promise face of it. */
export interface MySqlClient {
  raw: Connection;
  query<T = RowDataPacket>(sql: string, values?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
}

/**
 * Opens a connection with the session pinned to UTC (TIMESTAMP values are read in UTC), turning connection
 * failures into errors that say what to fix.
 */
export async function connect(config: Config): Promise<MySqlClient> {
  const raw = mysql.createConnection(connectionOptions(config));
  // An error on an idle connection (server restart) must not crash the process; the next query reports it.
  raw.on('error', () => {});
  const promise = raw.promise();
  const client: MySqlClient = {
    raw,
    async query<T>(sql: string, values?: unknown[]): Promise<T[]> {
      const [rows] = (await promise.query(sql, values)) as unknown as [T[], FieldPacket[]];
      return rows;
    },
    async end() {
      await promise.end().catch(() => raw.destroy());
    },
  };
  try {
    await promise.connect();
    await promise.query(`SET time_zone = '+00:00', SESSION group_concat_max_len = 1048576`);
  } catch (error) {
    raw.destroy();
    throw explainError(error, config);
  }
  return client;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as QueryError).code === 'string'
    ? (error as QueryError).code
    : undefined;
}

/** Maps a driver/server error to a ConnectorError with a hint, keeping the original as cause. */
export function explainError(error: unknown, config: Config, stream?: string): Error {
  if (error instanceof ConnectorError || error instanceof ConfigError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const where = `${config.username}@${config.host}:${config.port}`;
  const make = (errCode: string, text: string, hint: string) =>
    new ConnectorError(errCode, text, { hint, cause: error, ...(stream ? { stream } : {}) });
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return make(
        'AUTH_FAILED',
        `authentication failed for ${where}: ${message}`,
        'check username and password (and the host part of the MySQL account)',
      );
    case 'ER_BAD_DB_ERROR':
      return make('DATABASE_NOT_FOUND', message, 'check the `database` / `databases` setting');
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_COLUMNACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
      return make(
        'PERMISSION_DENIED',
        message,
        `grant the user read access, e.g. GRANT SELECT ON <database>.* TO '${config.username}'; LOG_BASED also needs GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.*`,
      );
    case 'ER_NO_SUCH_TABLE':
      return make('TABLE_NOT_FOUND', message, 'the table was dropped or renamed: run discovery again and update the stream selection');
    case 'ER_NOT_SUPPORTED_AUTH_MODE':
      return make(
        'AUTH_PLUGIN_UNSUPPORTED',
        message,
        'the account uses an authentication plugin the client does not offer; use mysql_native_password or caching_sha2_password',
      );
  }
  if (
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|connect ETIMEDOUT|Connection lost/i.test(message) ||
    code === 'PROTOCOL_CONNECTION_LOST'
  ) {
    return make(
      'CONNECTION_FAILED',
      `cannot connect to ${where}: ${message}`,
      'check host, port and that MySQL accepts TCP connections from here',
    );
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT' || /server does not support secure connection/i.test(message)) {
    return make(
      'SSL_FAILED',
      `SSL connection to ${where} failed: the server does not accept SSL`,
      'set ssl_mode: disable, or enable SSL on the server',
    );
  }
  const tlsHint = tlsFailureHint(message, config.ssl_mode);
  if (tlsHint) return make('SSL_FAILED', `SSL connection to ${where} failed: ${message}`, tlsHint);
  return make('MYSQL_ERROR', message, 'see the MySQL message above');
}

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export function qualified(database: string, table: string): string {
  return `${ident(database)}.${ident(table)}`;
}
