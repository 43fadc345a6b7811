import { ConfigError } from '../errors.js';
import type { Logger } from './logger.js';
import type { SslSettings } from './tls.js';

/** The settings of a MySQL connector (source-mysql, destination-mysql) that Mage's `conn_kwargs` map onto. */
export interface MysqlConnKwargsSettings extends SslSettings {
  conn_kwargs?: object;
  connect_timeout_seconds?: number;
}

/** Mage's `conn_kwargs` keys (mysql-connector-python's) that name one of mage-int's settings. */
const MOVED = {
  ssl_ca: 'ssl_ca_file',
  ssl_cert: 'ssl_cert_file',
  ssl_key: 'ssl_key_file',
  connect_timeout: 'connect_timeout_seconds',
  connection_timeout: 'connect_timeout_seconds',
} as const;
const SSL_FLAGS = new Set(['ssl_verify_cert', 'ssl_verify_identity', 'ssl_disabled']);

/**
 * Mage's `conn_kwargs` as mage-int's settings (see the spec): file and timeout keys move to their settings, the SSL
 * flags choose `ssl_mode` (a CA, certificate or key alone turns TLS on without checking, as mysql-connector-python
 * does), and options of the Python client that mean nothing here are dropped with a warning. A key that contradicts
 * the setting it maps to is refused. `who` names the connector in warnings (`source mysql`).
 */
export function applyMysqlConnKwargs<Config extends MysqlConnKwargsSettings>(config: Config, who: string, logger?: Logger): Config {
  const kwargs = config.conn_kwargs as Record<string, unknown> | undefined;
  if (!kwargs) return config;
  const out: Config = { ...config };
  delete out.conn_kwargs;
  const settings = out as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(kwargs)) {
    const target = MOVED[key as keyof typeof MOVED];
    if (target) {
      const current = settings[target];
      // connect_timeout_seconds' default (30) is no choice of the user's.
      const chosen = current !== undefined && !(target === 'connect_timeout_seconds' && current === 30);
      if (chosen && current !== value) {
        throw new ConfigError('CONFIG_INVALID', `conn_kwargs.${key} (${String(value)}) and ${target} (${String(current)}) disagree`, {
          field: `conn_kwargs.${key}`,
          hint: 'give only one of them',
        });
      }
      settings[target] = value;
    } else if (!SSL_FLAGS.has(key)) {
      logger?.warn(`${who}: conn_kwargs.${key} is ignored (an option of Mage's Python MySQL client that mage-int has no use for)`);
    }
  }
  const tls = kwargs['ssl_ca'] !== undefined || kwargs['ssl_cert'] !== undefined || kwargs['ssl_key'] !== undefined;
  const mode =
    kwargs['ssl_disabled'] === true
      ? 'disable'
      : kwargs['ssl_verify_identity'] === true
        ? 'verify-full'
        : kwargs['ssl_verify_cert'] === true
          ? 'verify-ca'
          : tls
            ? 'require'
            : undefined;
  // ssl_mode's default (disable) is no choice; one the user set wins over what conn_kwargs implies.
  if (mode !== undefined && ((config.ssl_mode ?? 'disable') === 'disable' || config.ssl_mode === mode)) out.ssl_mode = mode;
  else if (mode !== undefined) logger?.warn(`${who}: ssl_mode ${config.ssl_mode} is used; conn_kwargs would say ${mode}`);
  return out;
}
