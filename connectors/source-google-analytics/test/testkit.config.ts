// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): the official client over an
// insecure gRPC channel to the Data API stand-in from @mage-int/testkit (a gRPC server built from the .proto files
// @google-analytics/data ships), so the suite runs without network or credentials. Pages of 4 rows. No lookback
// here: the suite checks that a resumed read returns nothing before the bookmark (test/read.test.ts covers it).
import { defineTestConfig, startGoogleAnalyticsStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { configFor, seed } from './helpers.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const ga = await startGoogleAnalyticsStandIn();
    seed(ga, 6, ['Brazil', 'Canada', 'France']);
    return {
      config: configFor(ga, {
        page_size: 4,
        lookback_window_days: 0,
        reports: [
          { name: 'traffic', dimensions: ['country'], metrics: ['activeUsers', 'sessions', 'totalRevenue'] },
          { name: 'devices', dimensions: ['date', 'deviceCategory'], metrics: ['screenPageViews', 'engagementRate'] },
        ],
      }),
      teardown: () => ga.close(),
    };
  },
});
