import mysql from 'mysql2';
import type { Connection, ConnectionOptions, QueryError } from 'mysql2';
import {
  applyMysqlConnKwargs,
  ConnectorError,
  tlsFailureHint,
  tlsOptions,
  validateConfig,
  type JsonSchema,
  type Logger,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';
import { serverInfo, type ServerInfo } from './server-info.js';

/**
 * The session's SQL mode, whatever the server's default: strict (a value that does not fit is an error, not a
 * silent truncation), and without NO_BACKSLASH_ESCAPES or ANSI_QUOTES, so the driver's literal escaping and
 * backtick quoting mean what they say.
 */
const SQL_MODE = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/** An open connection, its promise face and what the server is. */
export interface MysqlClient {
  raw: Connection;
  server: ServerInfo;
  /** The largest statement the server accepts (`max_allowed_packet`). */
  maxPacket: number;
  query<T>(sql: string, values?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Offer the client's LOCAL INFILE capability (default: the `local_infile` setting). Tests turn it off to see
   * the server refuse LOAD DATA LOCAL INFILE, as one with `local_infile=OFF` does.
   */
  offerLocalFiles?: boolean;
}

/**
 * Validates a config, filling the spec's defaults (throws ConfigError): the runner did; a direct caller may not have.
 * Mage's `conn_kwargs` become mage-int's settings (warnings to `logger`).
 */
export function resolveConfig(input: Config, logger?: Logger): ResolvedConfig {
  return applyMysqlConnKwargs(validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination mysql'), 'destination mysql', logger);
}

function options(config: ResolvedConfig, offerLocalFiles: boolean): ConnectionOptions {
  const ssl = tlsOptions(config);
  return {
    host: config.host,
    port: config.port,
    user: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(ssl ? { ssl: ssl as ConnectionOptions['ssl'] } : {}),
    connectTimeout: config.connect_timeout_seconds * 1000,
    charset: 'UTF8MB4_BIN',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    ...(offerLocalFiles ? {} : { flags: ['-LOCAL_FILES'] }),
  };
}

/**
 * Opens a session pinned to UTC and a strict SQL mode, and makes sure the database exists (creating it, utf8mb4,
 * when the user may and skip_schema_creation does not forbid it). Shared by `check` and the run, so a check fails exactly as a run would.
 */
export async function connect(input: Config, connectOptions: ConnectOptions = {}): Promise<MysqlClient> {
  const config = resolveConfig(input);
  const raw = mysql.createConnection(options(config, connectOptions.offerLocalFiles ?? config.local_infile));
  // An error on an idle connection must not crash the process; the next query reports it.
  raw.on('error', () => {});
  const promise = raw.promise();
  const query = async <T>(sql: string, values?: unknown[]): Promise<T[]> => {
    const [rows] = await promise.query(sql, values);
    return rows as T[];
  };
  try {
    await promise.connect();
    await query(`SET time_zone = '+00:00', sql_mode = '${SQL_MODE}'`);
    const [info] = await query<{ version: string; packet: number | string }>('SELECT VERSION() AS version, @@max_allowed_packet AS packet');
    const server = serverInfo(info!.version);
    const found = await query<{ name: string }>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      config.database,
    ]);
    if (found.length === 0 && config.skip_schema_creation) {
      throw new ConnectorError(
        'DATABASE_MISSING',
        `database "${config.database}" does not exist and skip_schema_creation says not to create it`,
        {
          field: 'database',
          hint: 'create the database (CREATE DATABASE … CHARACTER SET utf8mb4), or drop skip_schema_creation if the user may create it',
        },
      );
    }
    if (found.length === 0)
      await query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(config.database)} CHARACTER SET utf8mb4 COLLATE ${server.collation}`);
    await query(`USE ${mysql.escapeId(config.database)}`);
    return {
      raw,
      server,
      maxPacket: Number(info!.packet),
      query,
      async end() {
        await promise.end().catch(() => raw.destroy());
      },
    };
  } catch (error) {
    raw.destroy();
    throw explainError(error, config);
  }
}

/** The server's error number, when the error is one. */
export function errorNumber(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && typeof (error as QueryError).errno === 'number'
    ? (error as QueryError).errno
    : undefined;
}

/** A driver or server error as a ConnectorError that says what to fix (the original kept as cause). */
export function explainError(error: unknown, config: Config): Error {
  if (error instanceof ConnectorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = `${config.username ?? 'root'}@${config.host ?? 'localhost'}:${config.port ?? 3306}`;
  const make = (code: string, text: string, hint: string) => new ConnectorError(code, text, { hint, cause: error });
  switch ((error as QueryError | undefined)?.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return make(
        'AUTH_FAILED',
        `authentication failed for ${where}: ${message}`,
        'check username and password (and the host part of the MySQL account)',
      );
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
      return make(
        'PERMISSION_DENIED',
        message,
        `create the database yourself, or grant the user: GRANT CREATE, ALTER, DROP, INSERT, UPDATE, DELETE, SELECT, CREATE TEMPORARY TABLES ON \`${config.database}\`.* TO '${config.username ?? 'root'}'`,
      );
  }
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Connection lost/i.test(message)) {
    return make(
      'CONNECT_FAILED',
      `cannot connect to MySQL at ${where}: ${message}`,
      'check host, port and that the server accepts TCP connections from here',
    );
  }
  const tlsHint = tlsFailureHint(message, config.ssl_mode);
  if (tlsHint || /secure connection|SSL/i.test(message))
    return make(
      'SSL_FAILED',
      `SSL connection to ${where} failed: ${message}`,
      tlsHint ?? 'set ssl_mode: disable, or enable SSL on the server',
    );
  return make('MYSQL_ERROR', message, 'see the MySQL message above');
}
