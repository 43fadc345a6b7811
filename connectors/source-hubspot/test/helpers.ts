import type { Logger, State } from '@mage-int/core';
import { readSelected, type HubSpotStandIn, type SelectedRead } from '@mage-int/testkit';
import { HubSpotSource, type Config } from '../src/index.js';

export { capturingLogger } from '@mage-int/testkit';

/** The stand-in's config, with budgets raised so tests do not wait on HubSpot's published limits. */
export function configFor(hubspot: HubSpotStandIn, extra: Partial<Config> = {}): Config {
  return {
    access_token: hubspot.accessToken,
    base_url: hubspot.url,
    page_size: 10,
    max_requests_per_second: 1000,
    max_search_requests_per_second: 1000,
    search_lag_seconds: 0,
    ...extra,
  };
}

/** Discovers, then reads the given streams (their default methods) from `state`. */
export function readStreams(config: Config, streams: readonly string[], state?: State, logger?: Logger): Promise<SelectedRead> {
  return readSelected(new HubSpotSource({ config, ...(logger ? { logger } : {}) }), streams, state);
}

export const ids = (records: readonly object[] | undefined): string[] => (records ?? []).map((r) => String((r as { id?: unknown }).id));
