import pg from 'pg';
import { ConfigError, ConnectorError, tlsFailureHint, tlsOptions, validateConfig, type JsonSchema } from '@mage-int/core';
import type { S3Settings } from '@mage-int/files-s3';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

/** The config's resolved form (defaults filled), as the destination's code sees it. */
export function resolveConfig(input: Config): ResolvedConfig {
  return validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination-redshift');
}

/** How COPY proves it may read the bucket: an IAM role of the cluster, or access keys. */
export type CopyAuthorization = { iamRole: string } | { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** COPY's authorization from the config; a config with neither a role nor keys is refused before connecting. */
export function copyAuthorization(config: ResolvedConfig): CopyAuthorization {
  if (config.iam_role) return { iamRole: config.iam_role };
  if (config.aws_access_key_id && config.aws_secret_access_key)
    return {
      accessKeyId: config.aws_access_key_id,
      secretAccessKey: config.aws_secret_access_key,
      ...(config.aws_session_token ? { sessionToken: config.aws_session_token } : {}),
    };
  throw new ConfigError('REDSHIFT_COPY_CREDENTIALS', 'COPY needs `iam_role`, or `aws_access_key_id` and `aws_secret_access_key`', {
    field: 'iam_role',
    hint: 'associate an IAM role that may read the bucket with the cluster and set iam_role to its ARN (see the README: IAM)',
  });
}

/** The files kit's S3 settings for the load files. */
export function s3Settings(config: ResolvedConfig): S3Settings {
  return {
    bucket: config.s3_bucket,
    prefix: config.s3_prefix,
    region: config.s3_region,
    force_path_style: config.s3_force_path_style,
    ...(config.s3_endpoint ? { endpoint: config.s3_endpoint } : {}),
    ...(config.aws_access_key_id ? { access_key_id: config.aws_access_key_id } : {}),
    ...(config.aws_secret_access_key ? { secret_access_key: config.aws_secret_access_key } : {}),
    ...(config.aws_session_token ? { session_token: config.aws_session_token } : {}),
  };
}

/** Connects with node-postgres (Redshift speaks PostgreSQL's wire protocol) and sets the session's time zone to UTC. */
export async function connectRedshift(config: ResolvedConfig, application = 'mage-int destination-redshift'): Promise<pg.Client> {
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ssl: tlsOptions(config),
    application_name: application,
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
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
