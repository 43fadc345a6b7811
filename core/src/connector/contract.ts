import type { Catalog } from '../catalog/catalog.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { BatchFormat, NativeRows, SourceMessage, StateMessage } from '../protocol/messages.js';
import type { KeyRange, KeyRangeTask } from '../source-kit/key-ranges.js';
import type { State } from '../state/state.js';
import type { DiscoverContext } from './discover-progress.js';
import type { Logger } from './logger.js';

/** What every connector call receives. */
export interface ConnectorContext {
  logger: Logger;
  /** Aborted when the run is cancelled (Ctrl-C, an error elsewhere): stop reading, release connections. */
  signal: AbortSignal;
  /**
   * The pipeline this call runs for (the pipeline file's `id`). Sources name per-pipeline server objects from it
   * (a PostgreSQL replication slot and publication), so two pipelines on one database never share them. Absent when
   * a connector runs standalone without one.
   */
  pipelineId?: string;
  /**
   * Follow mode: a log-based source keeps streaming changes until cancelled instead of stopping at the log position
   * current when the run started (`mage-int run --follow`, `follow: true` in the pipeline file).
   */
  follow?: boolean;
  /**
   * Read only one key range of one FULL_TABLE stream (or finalize its split): a run task of a stream split over
   * workers (see source-kit/key-ranges.ts). The range's bounds and bookmark are in the state. Absent: whole streams.
   */
  keyRange?: KeyRangeTask;
  /**
   * Set by the runner for a source's `read` only when its destination loads Singer BATCH files itself
   * (`Destination.loadsBatchFiles`) and nothing between them needs the records (no transform, no field projection):
   * the source may then emit BATCH messages of these formats, files written under `directory` (the run's own, removed
   * after the run), holding exactly the records it would have sent (selected fields only, metadata included).
   */
  batchFiles?: BatchFilesOffer;
  /**
   * Set by the runner for a source's `read` when its destination loads native rows of these formats
   * (`Destination.loadsNativeRows`) and nothing between them changes the records: a source for which native rows
   * cost work of their own (source-mysql writes COPY text from its row packets) makes them only then.
   */
  nativeRows?: readonly NativeRows['format'][];
}

/** See ConnectorContext.batchFiles. */
export interface BatchFilesOffer {
  formats: readonly BatchFormat[];
  directory: string;
}

/**
 * How a destination resolves rows whose key already exists:
 * - `upsert` (Mage: UPDATE): insert new rows, replace existing ones
 * - `update_only`: only replace rows that exist, drop new ones
 * - `ignore` (Mage: IGNORE): insert new rows, keep existing ones untouched
 * - `append`: insert everything, no key check (the rule for streams without key properties)
 */
export type ConflictMethod = 'upsert' | 'update_only' | 'ignore' | 'append';

export interface StreamLoadOptions {
  conflictMethod?: ConflictMethod;
}

export interface WriteContext extends ConnectorContext {
  /** Per-stream load options from the pipeline (keyed by stream name). */
  streams: Record<string, StreamLoadOptions>;
  /**
   * Commit pending records at least this often, in seconds, even when no further message arrives (follow mode sets
   * it from `max_lag_seconds`, default 0.5). When smaller than the destination's own age limit, it wins.
   */
  maxLagSeconds?: number;
  /** BATCH files under this directory were written for this run (ConnectorContext.batchFiles): removed once loaded. */
  ownedBatchDirectory?: string;
}

export interface CheckResult {
  ok: boolean;
  message?: string;
  /**
   * The error behind a failed check, when one was caught. `mage-int check` exits with the code `run` would give
   * for it (2 for a ConfigError such as an unreadable certificate file, 1 otherwise), so return it.
   */
  error?: unknown;
}

export type ConnectorKind = 'source' | 'destination';

interface ConnectorBase {
  /** Short name used in pipeline files: `postgres`, `duckdb`. */
  name: string;
  /** The JSON Schema of the config (the package's spec.json). Fields with `secret: true` are never logged. */
  spec: JsonSchema;
}

/** A source reads data from a system and emits Singer messages. A plain object: see DESIGN §3. */
export interface Source<Config = Record<string, unknown>> extends ConnectorBase {
  kind: 'source';
  /**
   * The source's records are typed by their storage (a database column cannot hold a value its type does not
   * allow) and always match the SCHEMA it emits, so the runner skips per-record schema validation unless the
   * pipeline asks for it. Protocol rules (SCHEMA first, key properties present) are checked regardless.
   */
  schemaEnforced?: boolean;
  check(config: Config, ctx: ConnectorContext): Promise<CheckResult>;
  /**
   * The streams the source offers. A source that knows how far it has got (tables introspected of N, streams sampled
   * of N) reports it through `ctx.onProgress` (see `discoverProgress`); callers that do not listen pass none.
   */
  discover(config: Config, ctx: DiscoverContext): Promise<Catalog>;
  /**
   * Reads the selected streams of `catalog`, starting from `state`. Emits STATE messages whose value is the
   * full state (bookmarks of every stream) as of the records before it.
   */
  read(config: Config, catalog: Catalog, state: State, ctx: ConnectorContext): AsyncIterable<SourceMessage>;
  /**
   * Told that a destination durably committed everything up to `state` (and the runner persisted it).
   * `ctx` is the same object the current `read` received, so a log-based source can acknowledge its
   * position on its live replication connection. Called in order, never concurrently.
   */
  commit?(config: Config, state: State, ctx: ConnectorContext): Promise<void>;
  /** Optional operations beyond reading, used by `mage-int check` and `mage-int slots` when present. */
  operations?: SourceOperations<Config>;
}

/**
 * A log position a source keeps on the server for one pipeline (a PostgreSQL replication slot, a MySQL binlog
 * reader would report its retained binlogs). While nobody reads it, the server keeps the log for it.
 */
export interface LogSlot {
  /** The slot's name on the server. */
  name: string;
  /** Where it lives, e.g. `shop on db.internal:5432`. */
  location: string;
  /** A reader is connected to it now. */
  active: boolean;
  /** Bytes of log the server keeps for it, when known. */
  retainedBytes?: number;
  /** When it was last read (ISO 8601), when the server knows. */
  lastActivity?: string;
  /** Anything the user should know, e.g. that the name is an older default. */
  note?: string;
  /**
   * A slot of an older naming scheme the pipeline no longer reads, listed so it is not forgotten (it still holds log).
   * `dropSlots` leaves it: other pipelines may still read it.
   */
  leftover?: boolean;
}

/**
 * Operations a source may offer besides reading. Every member is optional; commands use the ones a source has, so
 * the command line stays connector-neutral. `ctx.pipelineId` names the pipeline; `state` is its saved state.
 */
export interface SourceOperations<Config = Record<string, unknown>> {
  /**
   * Checks, without reading data, what `read` of `catalog` from `state` needs (table permissions, server settings,
   * replication rights) and throws the error `read` would throw for the first problem.
   */
  preflight?(config: Config, catalog: Catalog, state: State, ctx: ConnectorContext): Promise<void>;
  /** The log slots the pipeline holds on the server (empty when it holds none). */
  listSlots?(config: Config, state: State, ctx: ConnectorContext): Promise<LogSlot[]>;
  /** Drops the pipeline's log slots (and what belongs to them only); returns what was dropped, e.g. `replication slot x`. */
  dropSlots?(config: Config, state: State, ctx: ConnectorContext): Promise<string[]>;
  /**
   * Up to `count` key ranges of a keyed FULL_TABLE stream of about equal size, bounds from the database (key
   * percentiles, not rows counted by the caller), so one large table is read by several workers at once. Fewer
   * when the table is small or its keys repeat; one open range when it cannot split. The source then reads
   * `ctx.keyRange` tasks.
   */
  keyRanges?(config: Config, stream: Catalog['streams'][number], count: number, ctx: ConnectorContext): Promise<KeyRange[]>;
}

/** A destination loads Singer messages into a system. */
export interface Destination<Config = Record<string, unknown>> extends ConnectorBase {
  kind: 'destination';
  check(config: Config, ctx: ConnectorContext): Promise<CheckResult>;
  /**
   * Loads `messages` and yields each STATE message only once every record before it is committed.
   * Must honour backpressure: pull from `messages` only as fast as it loads.
   */
  write(config: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncIterable<StateMessage>;
  /**
   * Optional: runs SQL in the destination, in its target schema (a pipeline's `after_load: - sql:` steps, after the
   * last commit). A destination without it refuses such steps before the run starts.
   */
  execute?(config: Config, sql: string, ctx: ConnectorContext): Promise<void>;
  /**
   * BATCH file formats the destination loads from the files directly (DuckDB reading Parquet) rather than record by
   * record; the runner then offers them to the source (ConnectorContext.batchFiles). Every destination on the kit
   * reads JSON Lines BATCH files either way.
   */
  loadsBatchFiles?: readonly BatchFormat[];
  /** Native row formats (RecordBatchMessage.native) the destination loads as they are; the runner tells the source. */
  loadsNativeRows?: readonly NativeRows['format'][];
  /**
   * The destination loads RECORD lines from their JSON (RecordBatchMessage.lines) where it can: its Singer executable
   * then hands them over unparsed, their records parsed only when read.
   */
  readsRecordLines?: boolean;
}

export type Connector = Source<never> | Destination<never>;

/** Identity helpers that give a connector object its types without ceremony. */
export function defineSource<Config>(source: Source<Config>): Source<Config> {
  return source;
}
export function defineDestination<Config>(destination: Destination<Config>): Destination<Config> {
  return destination;
}
