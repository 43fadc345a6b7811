import { ConfigError } from '../../errors.js';

/**
 * An http(s) URL from a connector setting (`base_url`, `instance_url`), or a ConfigError naming the setting with an
 * example to copy. Every API source takes a `base_url` so it can point at a proxy or a local stand-in.
 */
export function httpUrlSetting(value: string, field: string, example: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Reported below.
  }
  throw new ConfigError('BASE_URL_INVALID', `${field} "${value}" is not an http(s) URL`, {
    field,
    hint: `write it with its scheme: ${example}`,
  });
}

/** The same URL as text without a trailing slash, ready to have paths appended. */
export function httpUrlText(value: string, field: string, example: string): string {
  return httpUrlSetting(value, field, example).toString().replace(/\/$/, '');
}
