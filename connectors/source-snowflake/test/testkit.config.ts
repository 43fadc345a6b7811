// The conformance test config (tools/testkit/test/connectors.test.ts): a Snowflake stand-in (DuckDB behind the
// protocol snowflake-sdk speaks) with a typed table, results in parts of 2 rows so every read downloads chunks.
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { seededStandIn } from './seed.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const { standIn, config, admin } = await seededStandIn({ resultChunkRows: 2 });
    await admin.close();
    return { config: { ...config, batch_rows: 2 }, teardown: () => standIn.close() };
  },
});
