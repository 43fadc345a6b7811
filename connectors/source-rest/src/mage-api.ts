import { ConfigError } from '@mage-int/core';
import type { Config } from './generated/config.js';

/** A config that describes the API with `client` and `resources` (mage-int's own form). */
export type Manifest = Config & Required<Pick<Config, 'client' | 'resources'>>;

/** Mage's `api` source settings (its flat config: one URL, read once). */
const MAGE_KEYS = [
  'url',
  'method',
  'query',
  'payload',
  'headers',
  'response_parser',
  'columns',
  'has_header',
  'separator',
  'pagination_config',
] as const;

type MagePagination = NonNullable<Config['pagination_config']>;
type PaginatorConfig = NonNullable<NonNullable<Config['client']>['paginator']>;

function paginationError(message: string, hint: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', `pagination_config: ${message}`, { field: 'pagination_config', hint });
}

/**
 * Mage's pagination_config as a paginator, and the query parameter its first request starts from (a cursor's
 * initial value): `cursor` → cursor (next_cursor_path in dot notation), `page` with increment_by 1 → page_number,
 * with more → offset.
 */
function paginatorOf(mage: MagePagination): { paginator: PaginatorConfig; params: Record<string, string | number | boolean> } {
  if (mage.type === 'cursor') {
    if (mage.cursor_params !== undefined || typeof mage.next_cursor_path !== 'string' || !mage.cursor_param) {
      throw paginationError(
        mage.cursor_params !== undefined
          ? 'several cursors (cursor_params) are not supported'
          : 'a cursor needs cursor_param and next_cursor_path (dot notation)',
        'for one cursor give cursor_param and next_cursor_path; for more, describe the API with client and resources (docs/rest-api.md)',
      );
    }
    const initial = mage.initial_cursor_value;
    if (initial !== undefined && initial !== null && typeof initial === 'object')
      throw paginationError('initial_cursor_value of one cursor is one value', 'give a string or a number');
    return {
      paginator: { type: 'cursor', cursor_param: mage.cursor_param, cursor_path: jsonPathOf(mage.next_cursor_path) },
      params: initial === undefined || initial === null ? {} : { [mage.cursor_param]: initial as string | number | boolean },
    };
  }
  if (!mage.param || mage.initial_value === undefined || mage.increment_by === undefined) {
    throw paginationError(
      'page pagination needs param, initial_value and increment_by',
      'e.g. {type: page, param: page, initial_value: 1, increment_by: 1}',
    );
  }
  const total = mage.stop_condition?.type === 'max_value' ? mage.stop_condition.max_value_path : undefined;
  if (mage.stop_condition?.type === 'max_value' && total === undefined)
    throw paginationError(
      'stop_condition max_value needs max_value_path',
      'the dot path of the page count (or of the record count for offsets)',
    );
  if (mage.increment_by === 1) {
    return {
      paginator: {
        type: 'page_number',
        page_param: mage.param,
        base_page: mage.initial_value,
        ...(mage.limit_param && mage.limit_value ? { page_size_param: mage.limit_param, page_size: mage.limit_value } : {}),
        ...(total ? { total_path: jsonPathOf(total) } : {}),
      },
      params: {},
    };
  }
  if (!mage.limit_param || mage.limit_value !== mage.increment_by) {
    throw paginationError(
      `an offset growing by ${mage.increment_by} needs limit_param and limit_value ${mage.increment_by}`,
      'give limit_param and limit_value equal to increment_by (the page size the offset moves by)',
    );
  }
  return {
    paginator: {
      type: 'offset',
      offset_param: mage.param,
      offset: mage.initial_value,
      limit_param: mage.limit_param,
      limit: mage.limit_value,
      ...(total ? { total_path: jsonPathOf(total) } : {}),
    },
    params: {},
  };
}

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
  const pagination = config.pagination_config ? paginatorOf(config.pagination_config) : undefined;
  Object.assign(params, pagination?.params);
  return {
    // Mage's schema_discovery_sample_rows arrives as sample_size.
    ...(config.sample_size !== undefined ? { sample_size: config.sample_size } : {}),
    client: { base_url: `${url.origin}/`, paginator: pagination?.paginator ?? { type: 'single_page' } },
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
