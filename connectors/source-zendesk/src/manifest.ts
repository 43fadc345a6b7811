import { ConfigError, validateConfig, type JsonSchema } from '@mage-int/core';
import type { RestConfig } from '@mage-int/source-rest';
import restSpec from '@mage-int/source-rest/spec.json' with { type: 'json' };
import type { ResolvedConfig } from './generated/config.js';
import { streamSchemas } from './stream-schemas.js';

/** Zendesk's published API limits, requests per minute, per plan (developer.zendesk.com: Rate limits). */
export const ZENDESK_PLAN_LIMITS: Readonly<Record<ResolvedConfig['plan'], number>> = {
  team: 200,
  growth: 400,
  professional: 400,
  enterprise: 700,
  enterprise_plus: 2500,
};

/** The incremental exports return up to 1,000 objects a page and allow 10 requests a minute: always ask for full pages. */
const EXPORT_PAGE_SIZE = 1000;

type Auth = NonNullable<NonNullable<RestConfig['client']>['auth']>;

/** Basic `{email}/token:{api_token}`, or the OAuth token as a bearer; errors name the settings to fix. */
function auth(config: ResolvedConfig): { auth: Auth; credential: string } {
  if (config.access_token) return { auth: { type: 'bearer', token: config.access_token }, credential: '`access_token`' };
  if (config.api_token && config.email)
    return {
      auth: { type: 'http_basic', username: `${config.email}/token`, password: config.api_token },
      credential: '`email` and `api_token`',
    };
  throw new ConfigError(
    'ZENDESK_NO_CREDENTIALS',
    'Zendesk needs credentials: `email` with `api_token` (an API token), or `access_token` (OAuth)',
    {
      field: config.api_token ? 'email' : 'api_token',
      hint: 'create an API token in Admin Center → Apps and integrations → Zendesk API, and set email to the agent it belongs to',
    },
  );
}

/** https://{subdomain}.zendesk.com, or base_url; the API lives under /api/v2/. */
function apiRoot(config: ResolvedConfig): string {
  const root = config.base_url ?? (config.subdomain ? `https://${config.subdomain}.zendesk.com` : undefined);
  if (!root)
    throw new ConfigError('ZENDESK_NO_SUBDOMAIN', 'Zendesk needs `subdomain` (acme for https://acme.zendesk.com) or `base_url`', {
      field: 'subdomain',
    });
  return `${root.replace(/\/+$/, '')}/api/v2/`;
}

/**
 * Zendesk Support as a source-rest manifest: the connector's small config in, the declarative description of the
 * API out (validated against source-rest's spec, so its defaults are filled). The manifest is internal: users
 * configure subdomain, credentials and start_date.
 */
export function zendeskManifest(config: ResolvedConfig): RestConfig {
  const { auth: credentials, credential } = auth(config);
  const start = config.start_date;
  const pageSize = { 'page[size]': config.page_size };
  // Cursor pagination of lists: `links.next` while `meta.has_more`.
  const cursorPages = { type: 'json_link' as const, next_url_path: 'links.next', has_more_path: 'meta.has_more' };
  // The cursor-based exports: follow `after_url` until `end_of_stream` (the last page still carries an after_url).
  const exportPages = { type: 'json_link' as const, next_url_path: 'after_url', stop_path: 'end_of_stream' };
  const sinceStart = { cursor_path: 'updated_at', start_param: 'start_time', value_format: 'epoch_seconds' as const, initial_value: start };
  const manifest: RestConfig = {
    client: {
      base_url: apiRoot(config),
      auth: credentials,
      max_requests_per_second: config.max_requests_per_second ?? ZENDESK_PLAN_LIMITS[config.plan] / 60,
      max_retries: config.max_retries,
      // Mage's tap takes 0 (or nothing) for its default of 300 s.
      request_timeout_seconds: config.request_timeout_seconds || 300,
      response_actions: [
        {
          status_code: 401,
          action: 'fail',
          message: `Zendesk refused the credentials: check ${credential} (the token may be revoked, or the email not the token's agent)`,
        },
        {
          status_code: 403,
          action: 'fail',
          message: `the credentials in ${credential} may not read this endpoint: use an admin's token, or deselect the stream`,
        },
      ],
    },
    resource_defaults: { primary_key: 'id', infer_schema: true },
    resources: [
      {
        name: 'tickets',
        endpoint: {
          path: 'incremental/tickets/cursor.json',
          params: { per_page: EXPORT_PAGE_SIZE },
          data_selector: 'tickets',
          paginator: exportPages,
          incremental: sinceStart,
        },
        schema: streamSchemas.tickets,
      },
      {
        name: 'users',
        endpoint: {
          path: 'incremental/users/cursor.json',
          params: { per_page: EXPORT_PAGE_SIZE },
          data_selector: 'users',
          paginator: exportPages,
          incremental: sinceStart,
        },
        schema: streamSchemas.users,
      },
      {
        // Time-based export (organizations have no cursor-based one): next_page until end_of_stream.
        name: 'organizations',
        endpoint: {
          path: 'incremental/organizations.json',
          params: { per_page: EXPORT_PAGE_SIZE },
          data_selector: 'organizations',
          paginator: { type: 'json_link', next_url_path: 'next_page', stop_path: 'end_of_stream' },
          incremental: sinceStart,
        },
        schema: streamSchemas.organizations,
      },
      {
        name: 'groups',
        endpoint: { path: 'groups.json', params: pageSize, data_selector: 'groups', paginator: cursorPages },
        schema: streamSchemas.groups,
      },
      {
        name: 'ticket_comments',
        endpoint: {
          path: 'tickets/{resources.tickets.id}/comments.json',
          params: pageSize,
          data_selector: 'comments',
          paginator: cursorPages,
          // The comments endpoint cannot filter by time: records before the partition's bookmark are dropped here.
          incremental: { cursor_path: 'created_at', initial_value: start, client_side_filter: true },
          // A deleted ticket (in the export with status "deleted") has no comments to list.
          response_actions: [{ status_code: 404, action: 'ignore', message: 'ticket deleted' }],
        },
        include_from_parent: ['id'],
        processing_steps: [{ rename_fields: { _tickets_id: 'ticket_id' } }],
        // Only tickets updated since the last sync (a new comment updates its ticket) are asked for their comments.
        incremental_dependency: true,
        concurrency: config.comments_concurrency,
        schema: streamSchemas.ticket_comments,
      },
      {
        name: 'ticket_metrics',
        endpoint: { path: 'ticket_metrics.json', params: pageSize, data_selector: 'ticket_metrics', paginator: cursorPages },
        schema: streamSchemas.ticket_metrics,
      },
      {
        name: 'satisfaction_ratings',
        endpoint: {
          path: 'satisfaction_ratings.json',
          params: pageSize,
          data_selector: 'satisfaction_ratings',
          paginator: cursorPages,
          incremental: sinceStart,
        },
        schema: streamSchemas.satisfaction_ratings,
      },
    ],
  };
  return validateConfig<RestConfig>(restSpec as JsonSchema, manifest, 'source-zendesk (manifest)');
}
