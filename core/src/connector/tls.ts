import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../errors.js';

/** libpq's SSL modes (MySQL's `ssl-mode` maps onto the same four). */
export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/**
 * The SSL settings every database connector spells the same way: `ssl_mode`, `ssl_ca_file`, `ssl_cert_file`,
 * `ssl_key_file` (file paths of PEM files; a spec marks them `"format": "path"` so they resolve from the pipeline file).
 */
export interface SslSettings {
  ssl_mode?: SslMode;
  ssl_ca_file?: string;
  ssl_cert_file?: string;
  ssl_key_file?: string;
}

function readPem(path: string | undefined, field: keyof SslSettings): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('SSL_FILE_UNREADABLE', `cannot read ${field} ${path}: ${(error as Error).message}`, {
      field,
      hint: `point ${field} at a readable PEM file`,
    });
  }
}

/**
 * Options for `tls.connect` (node-postgres' `ssl`, mysql2's `ssl`) from the shared settings; `false` when SSL is off.
 * - `require`: encrypted, the certificate is not checked (like libpq without a root certificate).
 * - `verify-ca`: the certificate must chain to `ssl_ca_file` (else to the system's trusted CAs); the host name is not checked.
 * - `verify-full`: as verify-ca, and the certificate must name the host.
 * `ssl_cert_file` + `ssl_key_file` present a client certificate; one without the other is a config error.
 */
export function tlsOptions(settings: SslSettings): ConnectionOptions | false {
  const mode = settings.ssl_mode ?? 'disable';
  if (mode === 'disable') return false;
  if (Boolean(settings.ssl_cert_file) !== Boolean(settings.ssl_key_file)) {
    const missing = settings.ssl_cert_file ? 'ssl_key_file' : 'ssl_cert_file';
    throw new ConfigError(
      'SSL_CLIENT_CERT_INCOMPLETE',
      `a client certificate needs both ssl_cert_file and ssl_key_file; ${missing} is not set`,
      {
        field: missing,
        hint: `set ${missing} too, or remove the other`,
      },
    );
  }
  const ca = readPem(settings.ssl_ca_file, 'ssl_ca_file');
  const cert = readPem(settings.ssl_cert_file, 'ssl_cert_file');
  const key = readPem(settings.ssl_key_file, 'ssl_key_file');
  return {
    rejectUnauthorized: mode !== 'require',
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    // verify-ca checks the chain but not the host name, as libpq does.
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

/** A hint for a failed SSL connection, from the driver's message and the configured mode; undefined when not about SSL. */
export function tlsFailureHint(message: string, mode: SslMode | undefined): string | undefined {
  if (/does not support SSL|SSL off|no encryption/i.test(message)) {
    return `the server does not accept SSL connections: set ssl_mode: disable, or enable SSL on the server (ssl = on)`;
  }
  if (/self[- ]signed|unable to (get|verify)|certificate/i.test(message)) {
    return mode === 'verify-full'
      ? 'the server certificate did not verify: set ssl_ca_file to the CA that signed it, and connect by the host name it names (or use ssl_mode: verify-ca)'
      : 'the server certificate did not verify: set ssl_ca_file to the CA that signed it (or use ssl_mode: require to encrypt without checking it)';
  }
  if (/SSL|TLS/.test(message)) return 'check ssl_mode and the certificate files (ssl_ca_file, ssl_cert_file, ssl_key_file)';
  return undefined;
}
