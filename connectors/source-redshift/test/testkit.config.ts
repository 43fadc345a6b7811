// The conformance test config (tools/testkit/test/connectors.test.ts): a Redshift stand-in (PostgreSQL behind the
// wire-protocol proxy) seeded with tables of every type and declared keys; batches of 2 rows, so every read spans
// several FETCHes.
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { seededStandIn } from './seed.js';

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const seeded = await seededStandIn();
    return { config: seeded.config, teardown: () => seeded.close() };
  },
});
