import type { Logger, State } from '@mage-int/core';
import { readSelected, type GoogleAnalyticsStandIn, type SelectedRead } from '@mage-int/testkit';
import { GoogleAnalyticsSource, type Config } from '../src/index.js';

export { capturingLogger } from '@mage-int/testkit';

// Google auth must never look for a metadata server (GCE) from a test machine.
process.env['METADATA_SERVER_DETECTION'] = 'none';

/** Days before today as YYYY-MM-DD. */
export const daysAgo = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

/** The client pointed at the stand-in over an insecure channel, one report by country, fast backoff. */
export function configFor(ga: GoogleAnalyticsStandIn, extra: Partial<Config> = {}): Config {
  return {
    property_id: ga.propertyId,
    api_endpoint: ga.endpoint.apiEndpoint,
    port: ga.endpoint.port,
    plaintext: true,
    start_date: daysAgo(10),
    backoff_base_seconds: 0.05,
    reports: [{ name: 'traffic', dimensions: ['country'], metrics: ['activeUsers', 'sessions', 'engagementRate', 'totalRevenue'] }],
    ...extra,
  };
}

/** Seeds `days` days × the given countries with deterministic numbers. */
export function seed(ga: GoogleAnalyticsStandIn, days: number, countries: readonly string[]): void {
  for (let d = days; d >= 1; d--) {
    countries.forEach((country, i) =>
      ga.add(
        daysAgo(d),
        { country, deviceCategory: i % 2 ? 'mobile' : 'desktop' },
        { activeUsers: 10 * d + i, sessions: 12 * d + i, engagementRate: 0.5 + i / 100, totalRevenue: 19.99 * (i + 1) },
      ),
    );
  }
}

export function readStreams(config: Config, streams: readonly string[], state?: State, logger?: Logger): Promise<SelectedRead> {
  return readSelected(new GoogleAnalyticsSource({ config, ...(logger ? { logger } : {}) }), streams, state);
}
