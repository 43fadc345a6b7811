import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConnector, readConnectorPackage, type Destination, type Source } from '@mage-int/core';
import { CheckSkipped, type CheckResult, type ConformanceCheck } from './check.js';
import { DestinationSuiteContext, destinationChecks } from './destination-suite.js';
import { SourceSuiteContext, sourceChecks } from './source-suite.js';
import type { ConformanceSubject, ConnectorTestConfig, DestinationTestConfig, SourceTestConfig } from './test-config.js';

/** Where a connector package keeps its conformance test config, in the order they are looked for. */
export const TEST_CONFIG_FILES = ['test/testkit.config.ts', 'test/testkit.config.mts', 'test/testkit.config.js', 'test/testkit.config.mjs'];

/** The path of a connector's test config, or undefined when it has none. */
export async function findTestConfig(directory: string): Promise<string | undefined> {
  for (const file of TEST_CONFIG_FILES) {
    const path = join(directory, file);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

/** Imports a test config module (Node strips the types of a .ts file) and returns its default export. */
export async function loadTestConfig(path: string): Promise<ConnectorTestConfig<unknown>> {
  let module: { default?: ConnectorTestConfig<unknown> };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: ConnectorTestConfig<unknown> };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new ConfigError('TEST_CONFIG_UNLOADABLE', `this Node.js (${process.version}) cannot load ${path}`, {
        hint: 'Node >= 22.18 runs .ts files by stripping their types; upgrade Node, or write the test config as test/testkit.config.js',
        cause: error,
      });
    }
    throw error;
  }
  const config = module.default;
  if (!config || (config.kind !== 'source' && config.kind !== 'destination') || typeof config.setup !== 'function') {
    throw new ConfigError(
      'TEST_CONFIG_INVALID',
      `${path} must default-export defineTestConfig({kind: 'source' | 'destination', setup, ...})`,
      {
        hint: 'see docs/authoring-connectors.md, "Conformance tests"',
      },
    );
  }
  return config;
}

/** Pairs a connector with its test config, checking that their kinds agree. */
export function conformanceSubject(
  connector: Source<never> | Destination<never>,
  testConfig: ConnectorTestConfig<unknown>,
): ConformanceSubject {
  if (connector.kind !== testConfig.kind) {
    throw new ConfigError('TEST_CONFIG_KIND', `the test config is for a ${testConfig.kind}, but ${connector.name} is a ${connector.kind}`);
  }
  return connector.kind === 'source'
    ? { connector, testConfig: testConfig as SourceTestConfig<unknown> }
    : { connector, testConfig: testConfig as DestinationTestConfig<unknown> };
}

/** The checks and the context they run in, for one subject. */
export async function prepareSuite(subject: ConformanceSubject): Promise<{
  checks: ConformanceCheck<never>[];
  context: SourceSuiteContext | DestinationSuiteContext;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}> {
  if (subject.connector.kind === 'source') {
    const context = new SourceSuiteContext(subject.connector, subject.testConfig as SourceTestConfig<unknown>);
    return {
      checks: sourceChecks() as ConformanceCheck<never>[],
      context,
      setup: () => context.setup(),
      teardown: () => context.teardown(),
    };
  }
  const testConfig = subject.testConfig as DestinationTestConfig<unknown>;
  const context = new DestinationSuiteContext(subject.connector, testConfig);
  return {
    checks: (await destinationChecks(testConfig)) as ConformanceCheck<never>[],
    context,
    setup: async () => {},
    teardown: async () => {},
  };
}

/** Runs every check of the suite outside a test framework, reporting each result as it finishes. */
export async function runConformance(subject: ConformanceSubject, onResult?: (result: CheckResult) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    onResult?.(result);
  };
  const suite = await prepareSuite(subject);
  const started = Date.now();
  try {
    await suite.setup();
  } catch (error) {
    report({
      name: 'test config setup() prepares the service',
      status: 'failed',
      message: (error as Error).message,
      durationMs: Date.now() - started,
    });
    return results;
  }
  try {
    for (const check of suite.checks) {
      const t0 = Date.now();
      try {
        await check.run(suite.context as never);
        report({ name: check.name, status: 'passed', durationMs: Date.now() - t0 });
      } catch (error) {
        const skipped = error instanceof CheckSkipped;
        report({
          name: check.name,
          status: skipped ? 'skipped' : 'failed',
          message: (error as Error).message ?? String(error),
          durationMs: Date.now() - t0,
        });
      }
    }
  } finally {
    await suite.teardown();
  }
  return results;
}

/**
 * Runs the conformance suite against the connector package in `directory` (its built entry point) with
 * its `test/testkit.config.*`. Used by `mage-int test`.
 */
export async function runConformanceForPackage(directory: string, onResult?: (result: CheckResult) => void): Promise<CheckResult[]> {
  const installed = await readConnectorPackage(resolve(directory));
  if (!installed) {
    throw new ConfigError('NOT_A_CONNECTOR', `${directory} is not a connector package (its package.json has no "mage-int" block)`, {
      hint: 'run `mage-int test` in a connector package directory, or scaffold one with `mage-int new source <name>`',
    });
  }
  const configPath = await findTestConfig(installed.directory);
  if (!configPath) {
    throw new ConfigError('TEST_CONFIG_MISSING', `${installed.packageName} has no conformance test config (${TEST_CONFIG_FILES[0]})`, {
      hint: 'add test/testkit.config.ts: export default defineTestConfig({kind, setup, ...}) — see docs/authoring-connectors.md',
    });
  }
  const connector = await loadConnector(installed, installed.manifest.type);
  const testConfig = await loadTestConfig(configPath);
  return runConformance(conformanceSubject(connector, testConfig), onResult);
}
