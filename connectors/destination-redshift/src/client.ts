import type pg from 'pg';
import { ConfigError, validateConfig, type JsonSchema } from '@mage-int/core';
import { connectRedshift as connectKit, s3Authorization, s3StorageSettings, type S3Authorization } from '@mage-int/redshift';
import type { S3Settings } from '@mage-int/files-s3';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

/** The config's resolved form (defaults filled), as the destination's code sees it. */
export function resolveConfig(input: Config): ResolvedConfig {
  return validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination-redshift');
}

/** How COPY proves it may read the bucket: an IAM role of the cluster, or access keys. */
export type CopyAuthorization = S3Authorization;

/** COPY's authorization from the config; a config with neither a role nor keys is refused before connecting. */
export function copyAuthorization(config: ResolvedConfig): CopyAuthorization {
  const auth = s3Authorization(config);
  if (auth) return auth;
  throw new ConfigError('REDSHIFT_COPY_CREDENTIALS', 'COPY needs `iam_role`, or `aws_access_key_id` and `aws_secret_access_key`', {
    field: 'iam_role',
    hint: 'associate an IAM role that may read the bucket with the cluster and set iam_role to its ARN (see the README: IAM)',
  });
}

/** The files kit's S3 settings for the load files. */
export function s3Settings(config: ResolvedConfig): S3Settings {
  return s3StorageSettings(config);
}

/** Connects with node-postgres (the kit's connection: TLS from the ssl_* settings, the session in UTC). */
export function connectRedshift(config: ResolvedConfig, application = 'mage-int destination-redshift'): Promise<pg.Client> {
  return connectKit(config, { application });
}
