import { ConfigError, ConnectorError, MageError, tlsFailureHint, tlsOptions } from '@mage-int/core';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)

/** BSON values as their own types (Int32, Double, Long, Decimal128, Binary): nothing is rounded or guessed on the way in. */
export const RAW_BSON = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** The databases the config names. */
export function configuredDatabases(config: Config): string[] {
  if (config.databases && config.databases.length > 0) return [...config.databases];
  if (config.database) return [config.database];
  throw new ConfigError('DATABASE_MISSING', 'no database to read: set `database` or `databases`', {
    field: 'database',
    hint: 'name the MongoDB database whose collections to read',
  });
}

const URL_ONLY_CONFLICTS = ['host', 'username', 'password', 'replica_set'] as const;

/** The connection string and driver options of a config. */
export function clientSettings(config: Config): { url: string; options: MongoClientOptions } {
  const timeoutMs = Math.round(config.connect_timeout_seconds * 1000);
  // Mage's `ssl: true` means TLS with the certificate checked, unless ssl_mode says more.
  const sslMode = config.ssl === true && config.ssl_mode === 'disable' ? 'verify-full' : config.ssl_mode;
  const tls = tlsOptions({ ...config, ssl_mode: sslMode });
  const options: MongoClientOptions = {
    connectTimeoutMS: timeoutMs,
    serverSelectionTimeoutMS: timeoutMs,
    appName: 'mage-int source-mongodb',
    // Reads go to the primary: a snapshot and the change stream that follows it see one history.
    readPreference: 'primary',
    ...(tls ? { tls: true, ...tls, ...(sslMode === 'require' ? { tlsAllowInvalidCertificates: true } : {}) } : {}),
  };
  if (config.connection_string) {
    const conflicting = URL_ONLY_CONFLICTS.filter((k) => config[k] !== undefined && !(k === 'host' && config.host === 'localhost'));
    if (conflicting.length > 0)
      throw new ConfigError('CONNECTION_STRING_CONFLICT', `connection_string is set, and so is ${conflicting.join(', ')}`, {
        field: conflicting[0] as string,
        hint: 'put everything in the connection string, or leave it out and use host/port/username/password',
      });
    return { url: config.connection_string, options };
  }
  if (config.password !== undefined && config.username === undefined)
    throw new ConfigError('USERNAME_MISSING', 'password is set without username', { field: 'username', hint: 'set username too' });
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  return {
    url: `mongodb://${host}:${config.port}/`,
    options: {
      ...options,
      ...(config.username !== undefined
        ? {
            auth: { username: config.username, ...(config.password !== undefined ? { password: config.password } : {}) },
            authSource: config.auth_source,
            ...(config.auth_mechanism ? { authMechanism: config.auth_mechanism } : {}),
          }
        : {}),
      ...(config.replica_set ? { replicaSet: config.replica_set } : {}),
      directConnection: config.direct_connection,
    },
  };
}

/** A connected client; connection failures become errors that say what to fix. */
export async function connect(config: Config): Promise<MongoClient> {
  const { url, options } = clientSettings(config);
  let client: MongoClient;
  try {
    client = new MongoClient(url, options);
  } catch (error) {
    throw new ConfigError('CONNECTION_STRING_INVALID', `the connection string is not valid: ${(error as Error).message}`, {
      field: 'connection_string',
      hint: 'see https://www.mongodb.com/docs/manual/reference/connection-string/',
    });
  }
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => {});
    throw explainError(error, config);
  }
  return client;
}

/** The server's error code of a driver error, if it has one. */
export function serverCode(error: unknown): number | undefined {
  // By shape: the driver raises MongoServerError and subclasses of MongoError that carry the server's code alike.
  // With promoteValues off for the operation, the code itself may arrive as an Int32.
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'object' && raw !== null ? Number(raw.valueOf()) : raw;
  return error instanceof Error && error.name.startsWith('Mongo') && typeof code === 'number' && Number.isFinite(code) ? code : undefined;
}

/** A driver error as a ConnectorError naming the setting or the privilege to fix. */
export function explainError(error: unknown, config: Config, stream?: string): Error {
  if (error instanceof MageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = serverCode(error);
  const where = stream ? { stream } : {};
  if (code === 18)
    return new ConnectorError('AUTH_FAILED', `authentication failed: ${message}`, {
      ...where,
      hint: `check username, password and auth_source (the database the user is defined in, now "${config.auth_source}"), or the credentials in connection_string`,
    });
  if (code === 13)
    return new ConnectorError('NOT_AUTHORIZED', `not authorized: ${message}`, {
      ...where,
      hint: 'grant the user the `read` role on each database read (LOG_BASED needs the changeStream action, which `read` includes), or `readAnyDatabase` to list every database',
    });
  const name = (error as { name?: string } | undefined)?.name ?? '';
  if (name === 'MongoServerSelectionError' || name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError') {
    const tlsHint = tlsFailureHint(message, config.ssl_mode);
    return new ConnectorError('CONNECTION_FAILED', `cannot reach MongoDB: ${message}`, {
      ...where,
      hint:
        tlsHint ??
        (config.connection_string
          ? 'check the hosts in connection_string, that the server is running and reachable from here, and its TLS settings'
          : `check host (${config.host}) and port (${config.port}), that the server is running and reachable from here, and ssl_mode`),
    });
  }
  return new ConnectorError('MONGODB_ERROR', code !== undefined ? `${message} (code ${code})` : message, where);
}
