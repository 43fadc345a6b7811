// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): the official SDK against
// the Stripe stand-in from @mage-int/testkit (a local HTTP server serving Stripe's documented response shapes), so
// the suite runs without network or credentials. Pages of 2 make every stream span several batches.
import { defineTestConfig, startStripeStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const stripe = await startStripeStandIn({ counts: { customers: 7 } });
    return {
      config: { api_key: stripe.apiKey, base_url: stripe.url, page_size: 2, max_retries: 2 },
      teardown: () => stripe.close(),
    };
  },
});
