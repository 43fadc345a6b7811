// The conformance test config (tools/testkit/test/connectors.test.ts): a BigQuery stand-in (DuckDB behind the
// BigQuery REST API) whose dataset destination-bigquery loaded, pages of 2 rows so every read spans several pages.
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { seededStandIn } from './seed.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const { standIn, config } = await seededStandIn({ runningPolls: 0 });
    return { config: { ...config, page_size: 2 }, teardown: () => standIn.close() };
  },
});
