import type { Logger, State } from '@mage-int/core';
import { readSelected, type SalesforceStandIn, type SelectedRead } from '@mage-int/testkit';
import { SalesforceSource, type Config } from '../src/index.js';

export { capturingLogger } from '@mage-int/testkit';

/** Username-password login (OAuth flow) against the stand-in, REST only unless bulk_threshold is lowered. */
export function configFor(salesforce: SalesforceStandIn, extra: Partial<Config> = {}): Config {
  return {
    base_url: salesforce.url,
    client_id: salesforce.clientId,
    client_secret: salesforce.clientSecret,
    username: salesforce.username,
    password: salesforce.password,
    security_token: salesforce.securityToken,
    max_requests_per_second: 1000,
    bulk_poll_interval_seconds: 0.05,
    ...extra,
  };
}

/** Discovers, then reads the given streams (their default methods) from `state`. */
export function readStreams(config: Config, streams: readonly string[], state?: State, logger?: Logger): Promise<SelectedRead> {
  return readSelected(new SalesforceSource({ config, ...(logger ? { logger } : {}) }), streams, state);
}

export const ids = (records: readonly object[] | undefined): string[] => (records ?? []).map((r) => String((r as { Id?: unknown }).Id));
