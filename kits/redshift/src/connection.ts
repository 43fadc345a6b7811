import pg from 'pg';
import { ConnectorError, tlsFailureHint, tlsOptions, type SslMode } from '@mage-int/core';

/** The connection settings a Redshift connector's config holds (the names destination-postgres uses). */
export interface RedshiftConnectionSettings {
  host: string;
  port: number;
  database: string;
  username: string;
  password?: string;
  ssl_mode?: SslMode;
  ssl_ca_file?: string;
  ssl_cert_file?: string;
  ssl_key_file?: string;
}

/** Every value as the text the server sent (no Date, no float for NUMERIC): for a reader that converts exactly. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/**
 * Connects with node-postgres (Redshift speaks PostgreSQL's wire protocol) and sets the session's time zone to UTC;
 * `rawText` keeps every value as the server's text. A failure is a CONNECT_FAILED error with what to check.
 */
export async function connectRedshift(
  settings: RedshiftConnectionSettings,
  options: { application: string; rawText?: boolean },
): Promise<pg.Client> {
  const client = new pg.Client({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.username,
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ssl: tlsOptions(settings),
    application_name: options.application,
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
    ...(options.rawText ? { types: RAW_TEXT } : {}),
  });
  try {
    await client.connect();
    await client.query(`SET timezone TO 'UTC'`);
  } catch (error) {
    await client.end().catch(() => {});
    throw new ConnectorError(
      'CONNECT_FAILED',
      `cannot connect to Redshift at ${settings.host}:${settings.port}/${settings.database} as ${settings.username}: ${(error as Error).message}`,
      {
        cause: error,
        hint:
          tlsFailureHint((error as Error).message, settings.ssl_mode) ??
          'check host, port, database, username and password, and that the cluster is reachable (its security group and "publicly accessible" setting)',
      },
    );
  }
  // A dropped connection outside a query must not crash the process; the next query reports it.
  client.on('error', () => {});
  return client;
}
