import type { Logger, RecordData, State } from '@mage-int/core';
import { readSelected, type SelectedRead, type ZendeskStandIn } from '@mage-int/testkit';
import { ZendeskSource, type Config } from '../src/index.js';

export { capturingLogger } from '@mage-int/testkit';

export const ALL_STREAMS = [
  'tickets',
  'users',
  'organizations',
  'groups',
  'ticket_comments',
  'ticket_metrics',
  'satisfaction_ratings',
] as const;

/** API-token auth against the stand-in, pages of 2, no request budget to wait on, fast backoff. */
export function configFor(zendesk: ZendeskStandIn, extra: Partial<Config> = {}): Config {
  return {
    base_url: zendesk.url,
    email: zendesk.email,
    api_token: zendesk.apiToken,
    page_size: 2,
    max_requests_per_second: 1000,
    ...extra,
  };
}

/** Reads the given streams (each with its default replication) from `state`. */
export function readStreams(config: Config, streams: readonly string[], state?: State, logger?: Logger): Promise<SelectedRead> {
  return readSelected(new ZendeskSource({ config, ...(logger ? { logger } : {}) }), streams, state);
}

export const ids = (records: RecordData[] | undefined): number[] => (records ?? []).map((r) => Number(r['id']));
