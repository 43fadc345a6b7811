/** @mage-int/testkit — the conformance suites every mage-int connector runs (see docs/authoring-connectors.md). */
export {
  defineTestConfig,
  type ConnectorTestConfig,
  type SourceTestConfig,
  type DestinationTestConfig,
  type TestSetup,
  type ConformanceSubject,
} from './test-config.js';
export { CheckSkipped, ConformanceError, expectThat, type CheckResult, type ConformanceCheck } from './check.js';
export { SourceSuiteContext, sourceChecks } from './source-suite.js';
export { DestinationSuiteContext, destinationChecks, keyedInput } from './destination-suite.js';
export {
  loadDestinationFixtures,
  fixtureMessages,
  DEFAULT_DESTINATION_FIXTURES,
  type DestinationFixture,
  type FixtureExpectation,
} from './fixtures.js';
export { readAll, testContext, type ReadResult, type ReadOptions } from './read-all.js';
export { selectStreams, collectMessages, recordsOf, lastState } from './source-messages.js';
export { readSelected, capturingLogger, type SelectedRead, type SourceClientLike } from './read-selected.js';
export { runTap, type TapRun } from './run-tap.js';
export { duckdbRows, duckdbScratch, repeatableRun, type DuckdbScratch } from './duckdb-scratch.js';
export { runPipelineChild, crashablePipeline, type PipelineChildRun, type CrashablePipeline } from './pipeline-child.js';
export { assertValidJsonSchema, assertValidSpec, assertValidCatalog } from './json-schema-check.js';
export { canonicalValue, diffRows } from './compare-rows.js';
export { compareBookmarkValues, farFutureValue } from './compare-values.js';
export {
  TEST_CONFIG_FILES,
  findTestConfig,
  loadTestConfig,
  conformanceSubject,
  prepareSuite,
  runConformance,
  runConformanceForPackage,
} from './run-conformance.js';
export {
  StandInServer,
  VendorStandIn,
  nestedQuery,
  type StandInRequest,
  type StandInResponse,
  type StandInFault,
  type StandInLogEntry,
  type StandInServerOptions,
} from './stand-ins/stand-in-server.js';
export {
  StripeStandIn,
  startStripeStandIn,
  stripeError,
  stripeExampleObjects,
  STRIPE_RESOURCES,
  type StripeStandInOptions,
} from './stand-ins/stripe/stripe-stand-in.js';
export {
  HubSpotStandIn,
  startHubSpotStandIn,
  hubspotError,
  HUBSPOT_OBJECT_TYPES,
  HUBSPOT_SEARCH_CAP,
  type HubSpotStandInOptions,
  type HubSpotRecord,
  type HubSpotProperty,
} from './stand-ins/hubspot/hubspot-stand-in.js';
export {
  SalesforceStandIn,
  startSalesforceStandIn,
  type SalesforceStandInOptions,
  type SalesforceRecord,
  type SalesforceField,
} from './stand-ins/salesforce/salesforce-stand-in.js';
export {
  ZendeskStandIn,
  startZendeskStandIn,
  zendeskError,
  type ZendeskStandInOptions,
  type ZendeskObject,
} from './stand-ins/zendesk/zendesk-stand-in.js';
export {
  GoogleAnalyticsStandIn,
  startGoogleAnalyticsStandIn,
  type GoogleAnalyticsStandInOptions,
  type GaFact,
  type GaFault,
  type GaCall,
  type GaMetricType,
} from './stand-ins/google-analytics/google-analytics-stand-in.js';
export {
  BigQueryStandIn,
  startBigQueryStandIn,
  bigQueryErrorResponse,
  type BigQueryStandInOptions,
  type BigQueryJobFault,
  type BigQueryField,
} from './stand-ins/bigquery/bigquery-stand-in.js';
export {
  SnowflakeStandIn,
  startSnowflakeStandIn,
  type SnowflakeStandInOptions,
  type StageAccess,
} from './stand-ins/snowflake/snowflake-stand-in.js';
export { DuckEngine, type DuckResult } from './stand-ins/duckdb-engine.js';
export {
  MongoStandIn,
  startMongoStandIn,
  type MongoStandInOptions,
  type MongoStandInUser,
} from './stand-ins/mongodb/mongodb-stand-in.js';
export {
  startRedshiftStandIn,
  type RedshiftStandIn,
  type RedshiftStandInOptions,
} from './stand-ins/redshift/redshift-stand-in.js';
