import { describeConformance } from '@mage-int/testkit/vitest';
import destination from '../src/index.js';
import testConfig from './testkit.config.js';

// The mage-int conformance suite: spec, check, the shared destination fixtures, state only after commit, idempotent re-load.
await describeConformance(destination, testConfig);
