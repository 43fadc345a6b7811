import type { Logger, RecordData, State } from '@mage-int/core';
import { readSelected, type SelectedRead, type StripeStandIn } from '@mage-int/testkit';
import { StripeSource, type Config } from '../src/index.js';

export { capturingLogger } from '@mage-int/testkit';

export function configFor(stripe: StripeStandIn, extra: Partial<Config> = {}): Config {
  return { api_key: stripe.apiKey, base_url: stripe.url, page_size: 10, ...extra };
}

/** Reads the given streams (INCREMENTAL on created, the default) from `state`. */
export function readStreams(config: Config, streams: readonly string[], state?: State, logger?: Logger): Promise<SelectedRead> {
  return readSelected(new StripeSource({ config, ...(logger ? { logger } : {}) }), streams, state);
}

export const ids = (records: RecordData[] | undefined): string[] => (records ?? []).map((r) => String(r['id']));
