import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, validateConfig, type JsonSchema } from '@mage-int/core';
import snowflake from 'snowflake-sdk';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';
import { upperIdentifier } from './snowflake-dialect.js';

/** The config checked against the spec, every default filled in. */
export function resolveConfig(input: Config): ResolvedConfig {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination snowflake');
  if (config.password === undefined && config.private_key === undefined && config.private_key_path === undefined)
    throw new ConfigError('SNOWFLAKE_NO_CREDENTIALS', 'give password, or private_key_path / private_key', {
      field: 'password',
      hint: 'password authentication needs `password`; key-pair authentication `private_key_path` (or `private_key`) and the public key set on the user',
    });
  return config;
}

/** True when the endpoint is Snowflake's own (`*.snowflakecomputing.com`, `.cn` included), where OCSP checks stay on. */
export function isSnowflakeHost(accessUrl: string | undefined): boolean {
  if (accessUrl === undefined) return true;
  return /(^|\.)snowflakecomputing\.(com|cn)$/i.test(new URL(accessUrl).hostname);
}

let configured = false;

/**
 * The sdk's options for the config. The sdk is quiet (its own log off); OCSP revocation checks are turned off
 * only for an `access_url` outside snowflakecomputing.com (a plain-HTTP stand-in has no certificate to check).
 */
export function connectionOptions(config: ResolvedConfig): snowflake.ConnectionOptions {
  if (!configured) {
    snowflake.configure({ logLevel: 'OFF', ...(isSnowflakeHost(config.access_url) ? {} : { disableOCSPChecks: true }) });
    configured = true;
  } else if (!isSnowflakeHost(config.access_url)) {
    snowflake.configure({ disableOCSPChecks: true });
  }
  const keyPair = config.private_key !== undefined || config.private_key_path !== undefined;
  let privateKey = config.private_key;
  if (privateKey === undefined && config.private_key_path !== undefined) {
    try {
      privateKey = readFileSync(config.private_key_path, 'utf8');
    } catch (error) {
      throw new ConfigError('SNOWFLAKE_KEY_UNREADABLE', `cannot read ${config.private_key_path}: ${(error as Error).message}`, {
        field: 'private_key_path',
      });
    }
  }
  if (privateKey !== undefined) {
    // Decrypted here (PKCS#8 PEM, as the sdk signs with), so an encrypted key in either form works alike.
    try {
      privateKey = createPrivateKey({
        key: privateKey,
        ...(config.private_key_passphrase ? { passphrase: config.private_key_passphrase } : {}),
      })
        .export({ type: 'pkcs8', format: 'pem' })
        .toString();
    } catch (error) {
      throw new ConfigError('SNOWFLAKE_KEY_INVALID', `the private key cannot be read: ${(error as Error).message}`, {
        field: config.private_key !== undefined ? 'private_key' : 'private_key_path',
        hint: 'give a PEM private key (PKCS#8 or PKCS#1); an encrypted one needs private_key_passphrase',
      });
    }
  }
  return {
    account: config.account,
    username: config.user,
    database: config.database,
    schema: upperIdentifier(config.schema),
    warehouse: config.warehouse,
    ...(config.role ? { role: config.role } : {}),
    ...(config.access_url ? { accessUrl: config.access_url.replace(/\/+$/, '') } : {}),
    application: 'mage-int',
    ...(keyPair
      ? {
          authenticator: 'SNOWFLAKE_JWT',
          privateKey: privateKey as string,
        }
      : { password: config.password as string }),
  } as snowflake.ConnectionOptions;
}
