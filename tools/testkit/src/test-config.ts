import type { Destination, Source } from '@mage-int/core';

/** What a test config's `setup` returns: the connector config to test with, and how to clean up after. */
export interface TestSetup<Config> {
  config: Config;
  /** Drops what setup created (a schema, a file, a server). Called once the checks that used it ran. */
  teardown?: () => Promise<void> | void;
}

/** How the conformance suite runs against a source: a real service prepared by `setup`. */
export interface SourceTestConfig<Config = Record<string, unknown>> {
  kind: 'source';
  /** Prepares the service (creates a schema, inserts rows, starts a local API) and returns the config. */
  setup(): Promise<TestSetup<Config>> | TestSetup<Config>;
  /** The streams to check (tap_stream_id or stream name); default: every discovered stream. */
  streams?: string[];
  /**
   * Whether each checked stream must yield at least one record on a full read (default true): a suite
   * that reads nothing proves nothing.
   */
  expectRecords?: boolean;
}

/** How the conformance suite runs against a destination. */
export interface DestinationTestConfig<Config = Record<string, unknown>> {
  kind: 'destination';
  /** Prepares an empty target (a fresh schema, a new file) and returns the config. Called once per scenario. */
  setup(): Promise<TestSetup<Config>> | TestSetup<Config>;
  /**
   * The rows of a stream's table as plain values (bigint, Decimal, Date and numeric strings are compared by
   * value). Undefined or [] when the table does not exist. Must see only committed data.
   */
  readTable(config: Config, stream: string): Promise<Record<string, unknown>[] | undefined>;
  /** Directory of fixture cases (`<case>/input.jsonl` + `expected.json`); default: the testkit's own. */
  fixtures?: string;
  /** Fixture cases this destination does not support, with the reason; reported as skipped. */
  skipFixtures?: Record<string, string>;
  /**
   * Whether `readTable` may run while `write` is in progress (default true). Used to prove that a STATE is
   * yielded only after the records before it are committed.
   */
  readDuringWrite?: boolean;
  /**
   * Whether the destination keeps every record it receives, keys or not (a file, a log; default false). The
   * re-load check then expects the keyed input twice instead of once per key. Fixture cases that need rows
   * replaced by key are listed in `skipFixtures`.
   */
  appendOnly?: boolean;
}

export type ConnectorTestConfig<Config = Record<string, unknown>> = SourceTestConfig<Config> | DestinationTestConfig<Config>;

/** Gives a connector's `test/testkit.config.ts` its types. */
export function defineTestConfig<Config>(config: SourceTestConfig<Config>): SourceTestConfig<Config>;
export function defineTestConfig<Config>(config: DestinationTestConfig<Config>): DestinationTestConfig<Config>;
export function defineTestConfig<Config>(config: ConnectorTestConfig<Config>): ConnectorTestConfig<Config> {
  return config;
}

/** A connector and its test config, as the suites take them. */
export type ConformanceSubject =
  | { connector: Source<never>; testConfig: SourceTestConfig<unknown> }
  | { connector: Destination<never>; testConfig: DestinationTestConfig<unknown> };
