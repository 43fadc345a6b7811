import { ConfigError } from '@mage-int/core';
import type { Config } from './generated/config.js';

/** A config that describes the API with `client` and `resources` (mage-int's own form). */
export type Manifest = Config & Required<Pick<Config, 'client' | 'resources'>>;

/** Mage's `api` source settings (its flat config: one URL, read once). */
const MAGE_KEYS = ['url', 'method', 'query', 'payload', 'headers', 'response_parser', 'columns', 'has_header', 'separator'] as const;

/** Mage's dot notation (`response.docs[0].author_display`) as a JSONPath. */
function jsonPathOf(parser: string): string {
  const path = parser.trim().replace(/^\$\.?/, '');
  return path === '' ? '$' : `$.${path}`;
}

/**
 * The manifest of a config: as given when it has `client` and `resources`; from Mage's `api` source settings
 * (`url`, `method`, `query`, `payload`, `headers`, `response_parser`, `columns`) when it has a `url` — one stream named
 * `api`, as Mage names it, read in one request (FULL_TABLE, appended: Mage's api source has no key or bookmark).
 */
export function manifestOf(config: Config): Manifest {
  const given = MAGE_KEYS.filter((key) => config[key] !== undefined);
  if (config.url === undefined) {
    if (given.length > 0) {
      throw new ConfigError('CONFIG_INVALID', `${given.join(', ')} (Mage's api source) need "url"`, {
        field: given[0],
        hint: 'give url (Mage style), or describe the API with client and resources',
      });
    }
    if (!config.client || !config.resources) {
      throw new ConfigError('CONFIG_INVALID', `"${config.client ? 'resources' : 'client'}" is required`, {
        field: config.client ? 'resources' : 'client',
        hint: 'describe the API with client (base_url, auth, paginator) and resources, or give Mage’s url',
      });
    }
    return config as Manifest;
  }
  if (config.client || config.resources) {
    throw new ConfigError('CONFIG_INVALID', '"url" (Mage\'s api source) and client/resources both describe the API', {
      field: 'url',
      hint: 'give one of them: url for one request, client and resources for everything else',
    });
  }
  const url = new URL(config.url);
  const params: Record<string, string | number | boolean> = Object.fromEntries(url.searchParams);
  Object.assign(params, config.query);
  const post = config.method?.toUpperCase() === 'POST';
  return {
    // Mage's schema_discovery_sample_rows arrives as sample_size.
    ...(config.sample_size !== undefined ? { sample_size: config.sample_size } : {}),
    client: { base_url: `${url.origin}/`, paginator: { type: 'single_page' } },
    resources: [
      {
        name: 'api',
        write_disposition: 'append',
        endpoint: {
          path: url.pathname.replace(/^\//, ''),
          ...(post ? { method: 'POST' as const } : {}),
          ...(Object.keys(params).length > 0 ? { params } : {}),
          ...(post && config.payload ? { json: config.payload } : {}),
          ...(config.headers ? { headers: config.headers } : {}),
          ...(config.response_parser ? { data_selector: jsonPathOf(config.response_parser) } : {}),
          columns: config.columns ?? [],
          ...(config.separator !== undefined ? { csv_separator: config.separator } : {}),
          ...(config.has_header !== undefined ? { csv_header: config.has_header } : {}),
        },
      },
    ],
  } as Manifest;
}
