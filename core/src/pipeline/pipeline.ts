import { isAbsolute, join } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { Destination, Source } from '../connector/contract.js';
import type { DiscoverProgress } from '../connector/discover-progress.js';
import type { Logger } from '../connector/logger.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import { settingSchema } from '../connector/config.js';
import { loadConnector, resolveConnector } from '../connector/resolve.js';
import { externalDestination, externalSource } from '../runner/external.js';
import { runPipeline, type RunProgress, type RunSummary } from '../runner/run-pipeline.js';
import type { StreamOverride } from '../runner/stream-selection.js';
import type { KeyRangeTask } from '../source-kit/key-ranges.js';
import { PostgresStateStore } from '../state/postgres-state-store.js';
import { FileStateStore, MemoryStateStore, type StateStore } from '../state/state-store.js';
import type { AfterLoadStep } from '../transform/after-load.js';
import { loadTransformSteps, type TransformStep } from '../transform/transform-steps.js';
import type { ConnectorRef, PipelineConfig } from './pipeline-config.js';

export interface PipelineEnd<C> {
  connector: C;
  config: unknown;
}

export interface PipelineDefinition {
  id?: string;
  source: PipelineEnd<Source<never>>;
  destination: PipelineEnd<Destination<never>>;
  streams?: Record<string, StreamOverride>;
  /** What to sync, in Meltano's pattern style (`public-orders`, `public-*`, `public-orders.email`, `!public-audit_*`). */
  select?: readonly string[];
  stateStore?: StateStore;
  validateRecords?: boolean;
  /** Records read ahead between source and destination (default DEFAULT_BUFFER_RECORDS, 2,000). */
  bufferRecords?: number;
  /** Follow mode: log-based streams run until cancelled, and changes are committed within `maxLagSeconds`. */
  follow?: boolean;
  /** In follow mode, the longest a change waits before the destination commits it (default 1). */
  maxLagSeconds?: number;
  /** Transforms between source and destination, in order: stream maps, SQL, `defineTransform` definitions. */
  transforms?: TransformStep[];
  /** Run after the last commit of a successful run: SQL in the destination, commands. */
  afterLoad?: AfterLoadStep[];
}

export interface RunOptions {
  only?: readonly string[];
  fullRefresh?: boolean;
  /** Follow mode for this run (`mage-int run --follow`), whatever the definition says. */
  follow?: boolean;
  /** One key range of a split stream, or its finalize step (a distributed run's task). */
  keyRange?: KeyRangeTask;
  catalog?: Catalog;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  /** How far the source's discovery has got (a run without a saved catalog discovers first). */
  onDiscoverProgress?: (progress: DiscoverProgress) => void;
}

/** The programmatic API: `pipeline({source, destination, streams}).run()`, same meaning as a pipeline file. */
export function pipeline(definition: PipelineDefinition) {
  return {
    definition,
    run: (options: RunOptions = {}): Promise<RunSummary> =>
      runPipeline({
        pipelineId: definition.id ?? 'pipeline',
        source: definition.source.connector,
        sourceConfig: definition.source.config,
        destination: definition.destination.connector,
        destinationConfig: definition.destination.config,
        streams: definition.streams,
        select: definition.select,
        stateStore: definition.stateStore ?? new MemoryStateStore(),
        validateRecords: definition.validateRecords,
        bufferRecords: definition.bufferRecords,
        maxLagSeconds: definition.maxLagSeconds,
        transforms: definition.transforms,
        afterLoad: definition.afterLoad,
        ...options,
        follow: options.follow ?? definition.follow,
      }),
  };
}

/** Loads the source a pipeline file names: an installed connector package or an external tap. */
export async function resolveSource(ref: ConnectorRef, fromDir: string): Promise<Source<never>> {
  if (ref.command)
    return externalSource({ command: ref.command, args: ref.args, interpolated: ref.interpolated }) as unknown as Source<never>;
  return loadConnector(await resolveConnector('source', ref, fromDir), 'source');
}

/** Loads the destination a pipeline file names: an installed connector package or an external target. */
export async function resolveDestination(ref: ConnectorRef, fromDir: string): Promise<Destination<never>> {
  if (ref.command)
    return externalDestination({ command: ref.command, args: ref.args, interpolated: ref.interpolated }) as unknown as Destination<never>;
  return loadConnector(await resolveConnector('destination', ref, fromDir), 'destination');
}

/** The state store a pipeline file asks for: a directory of JSON files (relative to the file), or a PostgreSQL table. */
export function stateStoreFor(config: PipelineConfig): StateStore {
  const state = config.state;
  if (state?.backend === 'postgres' && state.url)
    return new PostgresStateStore({
      url: state.url,
      ...(state.schema ? { schema: state.schema } : {}),
      ...(state.table ? { table: state.table } : {}),
    });
  const path = state?.path ?? '.mage-int/state';
  return new FileStateStore(isAbsolute(path) ? path : join(config.baseDir, path));
}

/**
 * Config fields whose spec says `"format": "path"` (a DuckDB file, an output directory) are resolved from
 * the pipeline file's directory, so a pipeline runs the same from any working directory.
 */
export function resolvePathFields(spec: JsonSchema, config: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const out = { ...config };
  for (const key of Object.keys(spec.properties ?? {})) {
    const property = settingSchema(spec, key)!;
    const value = out[key];
    if (property.format === 'path' && typeof value === 'string' && value !== ':memory:' && !isAbsolute(value))
      out[key] = join(baseDir, value);
  }
  return out;
}

const NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * `${VAR}` interpolation always yields strings, so `port: ${PGPORT}` arrives as "5432". Strings are turned
 * into the number or boolean the spec asks for (only when they spell one exactly), at any depth of plain
 * object properties; everything else is left for validation to report.
 */
export function coerceStringsToSpec(spec: JsonSchema, config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  for (const key of Object.keys(spec.properties ?? {})) {
    // an alias (`file_path` for `path`) is read as the setting it names
    const property = settingSchema(spec, key)!;
    const value = out[key];
    const types = Array.isArray(property.type) ? property.type : property.type === undefined ? [] : [property.type];
    if (typeof value === 'string' && !types.includes('string')) {
      if ((types.includes('integer') || types.includes('number')) && NUMBER_TEXT.test(value)) {
        const number = Number(value);
        if (types.includes('number') || (Number.isSafeInteger(number) && /^-?\d+$/.test(value))) out[key] = number;
      } else if (types.includes('boolean') && (value === 'true' || value === 'false')) out[key] = value === 'true';
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && property.properties) {
      out[key] = coerceStringsToSpec(property, value as Record<string, unknown>);
    }
  }
  return out;
}

/** Turns a loaded pipeline file into a runnable pipeline, resolving connectors from the file's directory. */
export async function pipelineFromConfig(config: PipelineConfig): Promise<ReturnType<typeof pipeline>> {
  const [source, destination] = await Promise.all([
    resolveSource(config.source, config.baseDir),
    resolveDestination(config.destination, config.baseDir),
  ]);
  return pipeline({
    id: config.id,
    source: {
      connector: source,
      config: resolvePathFields(source.spec, coerceStringsToSpec(source.spec, config.source.config ?? {}), config.baseDir),
    },
    destination: {
      connector: destination,
      config: resolvePathFields(destination.spec, coerceStringsToSpec(destination.spec, config.destination.config ?? {}), config.baseDir),
    },
    streams: config.streams,
    select: config.select,
    stateStore: stateStoreFor(config),
    validateRecords: config.options?.validate_records,
    bufferRecords: config.options?.buffer_records,
    follow: config.follow,
    maxLagSeconds: config.max_lag_seconds,
    transforms: await loadTransformSteps(config.transforms ?? [], config.baseDir),
    // Commands run from the pipeline file's directory, as its relative paths are meant.
    afterLoad: (config.after_load ?? []).map((step) => ('command' in step ? { cwd: config.baseDir, ...step } : step)),
  });
}
