import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Destination, Source } from '@mage-int/core';
import { CheckSkipped } from './check.js';
import { conformanceSubject, prepareSuite } from './run-conformance.js';
import type { ConnectorTestConfig } from './test-config.js';

/**
 * Registers the conformance suite for a connector as vitest tests, one test per check:
 * `await describeConformance(connector, testConfig)` at the top level of a test file.
 */
export async function describeConformance(
  connector: Source<never> | Destination<never>,
  testConfig: ConnectorTestConfig<unknown>,
  title = `${connector.kind} ${connector.name} conformance`,
): Promise<void> {
  const suite = await prepareSuite(conformanceSubject(connector, testConfig));
  describe(title, () => {
    beforeAll(() => suite.setup());
    afterAll(() => suite.teardown());
    for (const check of suite.checks) {
      it(check.name, async (context) => {
        try {
          await check.run(suite.context as never);
        } catch (error) {
          if (error instanceof CheckSkipped) context.skip(error.message);
          throw error;
        }
      });
    }
  });
}
