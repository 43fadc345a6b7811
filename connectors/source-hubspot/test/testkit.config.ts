// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): the official SDK against
// the HubSpot stand-in from @mage-int/testkit (a local HTTP server serving HubSpot's documented response shapes),
// so the suite runs without network or credentials. Pages of 2 make every stream span several batches.
import { defineTestConfig, startHubSpotStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const hubspot = await startHubSpotStandIn({ counts: { contacts: 7 } });
    return {
      config: {
        access_token: hubspot.accessToken,
        base_url: hubspot.url,
        page_size: 2,
        max_retries: 2,
        max_requests_per_second: 1000,
        max_search_requests_per_second: 1000,
        search_lag_seconds: 0,
      },
      teardown: () => hubspot.close(),
    };
  },
});
