import pg from 'pg';
import { ConnectorError, tlsFailureHint, tlsOptions, validateConfig, type JsonSchema } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

/** The config checked against the spec, every default filled in. */
export function resolveConfig(input: Config): ResolvedConfig {
  return validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source-redshift');
}

/** Every value as the text the server sent: the type map converts it exactly (no Date, no float for numeric). */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/** A Redshift (or node-postgres) error with what the user can do about it. */
export function redshiftError(error: unknown, what: string): ConnectorError {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  const hint = /permission denied/i.test(message)
    ? 'grant the user USAGE on the schema and SELECT on its tables (see the README: grants)'
    : /not authorized to assume IAM Role|Access Denied|AccessDenied/i.test(message)
      ? 'check unload.iam_role: associated with the cluster, allowed s3:PutObject on the bucket (see the README: UNLOAD)'
      : undefined;
  return new ConnectorError('REDSHIFT_ERROR', `${what}: ${message}${e.code ? ` (${e.code})` : ''}`, {
    cause: error,
    ...(hint ? { hint } : {}),
  });
}

/** Connects with node-postgres (Redshift speaks PostgreSQL's wire protocol), values as text, the session in UTC. */
export async function connect(config: ResolvedConfig): Promise<pg.Client> {
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ssl: tlsOptions(config),
    application_name: 'mage-int source-redshift',
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
    types: RAW_TEXT,
  });
  try {
    await client.connect();
    await client.query(`SET timezone TO 'UTC'`);
  } catch (error) {
    await client.end().catch(() => {});
    throw new ConnectorError(
      'CONNECT_FAILED',
      `cannot connect to Redshift at ${config.host}:${config.port}/${config.database} as ${config.username}: ${(error as Error).message}`,
      {
        cause: error,
        hint:
          tlsFailureHint((error as Error).message, config.ssl_mode) ??
          'check host, port, database, username and password, and that the cluster is reachable (its security group and "publicly accessible" setting)',
      },
    );
  }
  client.on('error', () => {});
  return client;
}

/** `"name"`: double quotes, embedded ones doubled. */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A string constant: single quotes doubled; backslashes refused (Redshift may read them as escapes). */
export function quoteLiteral(text: string): string {
  if (text.includes('\\') || text.includes('\0'))
    throw new Error(`a Redshift literal written by the source cannot hold a backslash or NUL: ${text}`);
  return `'${text.replace(/'/g, "''")}'`;
}
