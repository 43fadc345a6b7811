// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): jsforce against the
// Salesforce stand-in from @mage-int/testkit (a local HTTP server serving Salesforce's documented REST, Bulk API 2.0
// and OAuth shapes), so the suite runs without network or credentials. Query pages of 2 make every stream span
// several batches.
import { defineTestConfig, startSalesforceStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const salesforce = await startSalesforceStandIn({ counts: { Account: 7 }, queryBatchSize: 2 });
    return {
      config: {
        base_url: salesforce.url,
        client_id: salesforce.clientId,
        client_secret: salesforce.clientSecret,
        refresh_token: salesforce.refreshToken,
        max_requests_per_second: 1000,
        max_retries: 2,
      },
      teardown: () => salesforce.close(),
    };
  },
});
