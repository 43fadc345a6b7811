// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): faker needs no
// service, so setup only picks sizes small enough for the suite's several reads and a batch size that
// makes every stream span several RECORD_BATCH + STATE pairs.
import { defineTestConfig } from '@mage-int/testkit';
import type { FakerConfig } from '../src/index.js';

export default defineTestConfig<FakerConfig>({
  kind: 'source',
  setup: () => ({ config: { seed: 7, customers: 120, products: 30, orders: 400, batch_size: 50 } }),
});
