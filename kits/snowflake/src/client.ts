import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@mage-int/core';
import snowflake from 'snowflake-sdk';

/** The settings the Snowflake connectors name alike (their spec.json properties of the same names). */
export interface SnowflakeSettings {
  account: string;
  user: string;
  password?: string;
  private_key_path?: string;
  private_key?: string;
  private_key_passphrase?: string;
  warehouse: string;
  database: string;
  /** The session's schema, as Snowflake should resolve it (the caller upper-cases an unquoted name). */
  schema?: string;
  role?: string;
  access_url?: string;
}

/** Refuses settings with neither a password nor a private key, naming the settings to give. */
export function requireCredentials(settings: SnowflakeSettings): void {
  if (settings.password === undefined && settings.private_key === undefined && settings.private_key_path === undefined)
    throw new ConfigError('SNOWFLAKE_NO_CREDENTIALS', 'give password, or private_key_path / private_key', {
      field: 'password',
      hint: 'password authentication needs `password`; key-pair authentication `private_key_path` (or `private_key`) and the public key set on the user',
    });
}

/** True when the endpoint is Snowflake's own (`*.snowflakecomputing.com`, `.cn` included), where OCSP checks stay on. */
export function isSnowflakeHost(accessUrl: string | undefined): boolean {
  if (accessUrl === undefined) return true;
  return /(^|\.)snowflakecomputing\.(com|cn)$/i.test(new URL(accessUrl).hostname);
}

let configured = false;

/** The private key as the sdk signs with (PKCS#8 PEM, decrypted here), or undefined for password logins. */
function privateKeyOf(settings: SnowflakeSettings): string | undefined {
  let privateKey = settings.private_key;
  if (privateKey === undefined && settings.private_key_path !== undefined) {
    try {
      privateKey = readFileSync(settings.private_key_path, 'utf8');
    } catch (error) {
      throw new ConfigError('SNOWFLAKE_KEY_UNREADABLE', `cannot read ${settings.private_key_path}: ${(error as Error).message}`, {
        field: 'private_key_path',
      });
    }
  }
  if (privateKey === undefined) return undefined;
  // Decrypted here, so an encrypted key in either form (PKCS#8 or PKCS#1) works alike.
  try {
    return createPrivateKey({
      key: privateKey,
      ...(settings.private_key_passphrase ? { passphrase: settings.private_key_passphrase } : {}),
    })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch (error) {
    throw new ConfigError('SNOWFLAKE_KEY_INVALID', `the private key cannot be read: ${(error as Error).message}`, {
      field: settings.private_key !== undefined ? 'private_key' : 'private_key_path',
      hint: 'give a PEM private key (PKCS#8 or PKCS#1); an encrypted one needs private_key_passphrase',
    });
  }
}

/**
 * The sdk's options for the settings: key-pair login (`SNOWFLAKE_JWT`) when a private key is given, else the
 * password. The sdk is quiet (its own log off); OCSP revocation checks are turned off only for an `access_url`
 * outside snowflakecomputing.com (a plain-HTTP stand-in has no certificate to check).
 */
export function snowflakeConnectionOptions(settings: SnowflakeSettings): snowflake.ConnectionOptions {
  requireCredentials(settings);
  if (!configured) {
    snowflake.configure({ logLevel: 'OFF', ...(isSnowflakeHost(settings.access_url) ? {} : { disableOCSPChecks: true }) });
    configured = true;
  } else if (!isSnowflakeHost(settings.access_url)) {
    snowflake.configure({ disableOCSPChecks: true });
  }
  const privateKey = privateKeyOf(settings);
  return {
    account: settings.account,
    username: settings.user,
    database: settings.database,
    ...(settings.schema ? { schema: settings.schema } : {}),
    warehouse: settings.warehouse,
    ...(settings.role ? { role: settings.role } : {}),
    ...(settings.access_url ? { accessUrl: settings.access_url.replace(/\/+$/, '') } : {}),
    application: 'mage-int',
    ...(privateKey !== undefined ? { authenticator: 'SNOWFLAKE_JWT', privateKey } : { password: settings.password as string }),
  } as snowflake.ConnectionOptions;
}
