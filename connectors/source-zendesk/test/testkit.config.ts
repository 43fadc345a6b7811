// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): the manifest run by
// source-rest against the Zendesk stand-in from @mage-int/testkit (a local HTTP server answering in Zendesk's
// documented shapes), so the suite runs without network or credentials. Pages of 2 make lists span several pages.
// ticket_comments is left out: its bookmarks live per ticket (`partitions`), which the suite's incremental checks
// do not read; test/read.test.ts covers its per-ticket state and second runs.
import { defineTestConfig, startZendeskStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

export default defineTestConfig<Config>({
  kind: 'source',
  streams: ['tickets', 'users', 'organizations', 'groups', 'ticket_metrics', 'satisfaction_ratings'],
  async setup() {
    const zendesk = await startZendeskStandIn({ counts: { tickets: 5, groups: 5 } });
    return {
      config: { base_url: zendesk.url, email: zendesk.email, api_token: zendesk.apiToken, page_size: 2, max_requests_per_second: 1000 },
      teardown: () => zendesk.close(),
    };
  },
});
