import { describeConformance } from '@mage-int/testkit/vitest';
import source from '../src/index.js';
import testConfig from './testkit.config.js';

// The mage-int conformance suite: spec, check, discover, schemas and keys, state, incremental resume.
await describeConformance(source, testConfig);
