/** @mage-int/core — the Singer protocol, catalog and state, the connector contract and the pipeline runner. */
export * from './errors.js';

export type { JsonSchema, JsonSchemaType } from './protocol/json-schema.js';
export { schemaTypes } from './protocol/json-schema.js';
export * from './protocol/messages.js';
export {
  Decimal,
  JsonText,
  parseExactJson,
  stringifyExactJson,
  stringifyRecord,
  stringifyRecordValue,
  exactNumber,
  literalFitsDouble,
  isNumeric,
} from './protocol/exact-json.js';
export { RECORD_FORMATS, RecordValidator } from './protocol/record-validator.js';
export { decodedRecords, lazyRecords, recordsDecoded } from './protocol/lazy-records.js';
export { MessageGuard, type MessageGuardOptions, type StreamSchema } from './protocol/message-guard.js';
export {
  readLines,
  readLineBatches,
  parseSingerLine,
  recordEnvelope,
  readSingerMessages,
  readSourceMessages,
  type ReaderOptions,
  type InvalidUtf8,
} from './protocol/reader.js';
export { encodeSingerMessage, writeSingerMessages } from './protocol/writer.js';

export * from './catalog/catalog.js';
export * from './state/state.js';
export { applySelectPatterns } from './catalog/select-patterns.js';
export { FileStateStore, MemoryStateStore, type StateStore } from './state/state-store.js';
export { PostgresStateStore, StateConflictError, type PostgresStateOptions } from './state/postgres-state-store.js';
export { StateLockedError, type LockHolder, type StateLock } from './state/state-lock.js';

export * from './connector/contract.js';
export { discoverProgress, type DiscoverContext, type DiscoverProgress } from './connector/discover-progress.js';
export { createLogger, silentLogger, redact, redactor, type Logger, type LogLevel, type LoggerOptions } from './connector/logger.js';
export {
  validateConfig,
  settingSchema,
  secretPaths,
  secretValues,
  redactConfig,
  isSecretName,
  type InterpolatedValue,
} from './connector/config.js';
export { SourceClient, type SourceClientOptions } from './connector/source-client.js';
export { applyMysqlConnKwargs, type MysqlConnKwargsSettings } from './connector/mysql-conn-kwargs.js';
export { tlsFailureHint, tlsOptions, type SslMode, type SslSettings } from './connector/tls.js';
export { DestinationClient, type DestinationClientOptions, type DestinationWriteOptions } from './destination/destination-client.js';
export {
  writeBatched,
  writeWithSession,
  resolveConflictMethod,
  type BatchingOptions,
  type OpenSession,
} from './destination/batching-writer.js';
export type { CommitReason, DestinationSession, SessionControl, StreamInfo, RecordBatch } from './destination/destination-session.js';
export {
  batchPolicy,
  DESTINATION_SETTINGS,
  DEFAULT_BATCH_POLICY,
  type BatchPolicy,
  type DestinationSettings,
} from './destination/destination-settings.js';
export { readBatchRecords, batchDirectories } from './destination/batch-files.js';
export { risingCopyTextKeys, risingRecordKeys, type KeyOrder, type KeyValue } from './destination/rising-keys.js';
export {
  findInstalledConnectors,
  readConnectorPackage,
  resolveConnector,
  loadConnector,
  firstPartyPackageName,
  asManifest,
  connectorNameKey,
  connectorNameMatch,
  findConnectorByName,
  CONNECTOR_KEYWORD,
  type ConnectorManifest,
  type InstalledConnector,
} from './connector/resolve.js';
export { closestName } from './connector/closest-name.js';

export { readStreams, syncOrder } from './source-kit/read-streams.js';
export {
  partitionKey,
  type SourceStream,
  type StreamSync,
  type StreamBatch,
  type StreamOutput,
  type StreamPartition,
} from './source-kit/source-stream.js';
export { StateTracker } from './source-kit/state-tracker.js';
export { startFullTable, pickKeys, type FullTableStart } from './source-kit/full-table.js';
export {
  keyRangeStateKey,
  keyRangeKeys,
  keyRangeBookmarks,
  rangesBetween,
  startKeyRange,
  keyRangeDone,
  finishKeyRanges,
  type KeyRange,
  type KeyRangeTask,
  type KeyRangeBookmark,
  type KeyRangeStart,
} from './source-kit/key-ranges.js';
export {
  startKeyset,
  advanceKeyset,
  keysetBookmark,
  compareToKeyset,
  isAfterKeyset,
  keysetCompareSql,
  fullTableSelectSql,
  incrementalSelectSql,
  type KeysetPosition,
  type KeysetSql,
} from './source-kit/keyset.js';
export { IncrementalCursor, lookBack } from './source-kit/incremental-cursor.js';
export { compareBookmarkValues } from './source-kit/compare-values.js';
export { assertLogBasedStreamUsable } from './source-kit/log-based-stream.js';
export {
  HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  type QueryValue,
  type ResponseRule,
} from './source-kit/http/http-client.js';
export { HttpError } from './source-kit/http/http-error.js';
export { httpUrlSetting, httpUrlText } from './source-kit/http/url-setting.js';
export {
  bearerAuth,
  apiKeyAuth,
  basicAuth,
  placeCredential,
  OAuth2Auth,
  RenewingTokenAuth,
  requestCredential,
  accessTokenOf,
  type HttpAuth,
  type AuthRequest,
  type OAuth2Options,
  type CredentialPlace,
  type IssuedToken,
} from './source-kit/http/auth.js';
export { JwtAuth, signJwt, googleServiceAccountAuth, type JwtAuthOptions, type GoogleServiceAccount } from './source-kit/http/jwt-auth.js';
export { SessionTokenAuth, type SessionTokenAuthOptions } from './source-kit/http/session-token-auth.js';
export {
  singlePage,
  nextUrlPaginator,
  linkHeaderPaginator,
  linkHeaderUrl,
  cursorPaginator,
  offsetPaginator,
  pageNumberPaginator,
  headerCursorPaginator,
  stopWhen,
  autoPaginator,
  type Paginator,
  type PageRequest,
  type CursorPaginatorOptions,
  type OffsetPaginatorOptions,
  type PageNumberPaginatorOptions,
} from './source-kit/http/paginators.js';
export { HttpStream, type HttpStreamOptions } from './source-kit/http/http-stream.js';
export { RequestBudget } from './source-kit/http/request-budget.js';
export { retryAfterMs, rateLimitResetMs, backoffMs } from './source-kit/http/retry-timing.js';
export { valueAt, type ValuePath } from './source-kit/http/value-at.js';

export { RunRecordStore, newRunId, runsDirFor, type RunRecord, type RunStreamRecord, type RunLogLine } from './history/run-record.js';
export { runPipeline, type RunPipelineOptions, type RunProgress, type RunSummary, type StreamProgress } from './runner/run-pipeline.js';
export { StreamPhases, type StreamPhase, type StreamPhaseInfo } from './runner/stream-phases.js';
export { prefetch } from './runner/prefetch.js';
export { tuneHeapForStreaming, youngGenerationSize } from './runner/streaming-heap.js';
export { applyStreamOverrides, loadOptionsFrom, toConflictMethod, type StreamOverride } from './runner/stream-selection.js';
export { externalSource, externalDestination, stderrLevel, type ExternalCommand } from './runner/external.js';
export { runSourceCli, runDestinationCli } from './runner/singer-cli.js';

export { validatedSource, validatedDestination, type ValidatedEnd } from './pipeline/validated-end.js';
export {
  loadPipelineFile,
  parsePipelineConfig,
  interpolateEnv,
  pipelineSchema,
  type PipelineConfig,
  type ConnectorRef,
} from './pipeline/pipeline-config.js';
export {
  pipeline,
  pipelineFromConfig,
  resolveSource,
  resolveDestination,
  resolvePathFields,
  coerceStringsToSpec,
  stateStoreFor,
  type PipelineDefinition,
  type PipelineEnd,
  type RunOptions,
} from './pipeline/pipeline.js';

export {
  defineTransform,
  TransformError,
  type Transform,
  type TransformDefinition,
  type TransformContext,
  type StreamShape,
  type RoutedRecord,
} from './transform/transform.js';
export { applyTransforms, type TransformStage, type ApplyTransformsOptions } from './transform/apply-transforms.js';
export {
  transformStages,
  loadTransformSteps,
  catalogStreamNames,
  type TransformStep,
  type StreamMapsStep,
  type ModuleStep,
  type SqlStep,
  type CodeStep,
} from './transform/transform-steps.js';
export { streamMapsTransform, type StreamMaps, type StreamMap } from './transform/stream-maps.js';
export { sqlTransform } from './transform/sql-transform.js';
export { definitionTransform, loadTransformModule } from './transform/module-transform.js';
export { runAfterLoad, AfterLoadError, type AfterLoadStep, type AfterLoadSql, type AfterLoadCommand } from './transform/after-load.js';
export { runMapperCli } from './transform/mapper-cli.js';
export type { Executor, RunRequest, RunInfo, RunTaskInfo, RunStatus, ScheduleInfo } from './executor/executor.js';
export { planRun, taskPhases, type RunPlan, type RunTask } from './executor/run-plan.js';
export { runPipelineTask, pipelineSecrets, type RunTaskOptions, type RunTaskResult, type TaskSecrets } from './executor/run-task.js';
export { InProcessExecutor } from './executor/in-process-executor.js';
