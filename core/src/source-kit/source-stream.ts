import type { CatalogStream } from '../catalog/catalog.js';
import type { Logger } from '../connector/logger.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { BatchFormat, BatchView, CsvBatchView, NativeRows, RecordData } from '../protocol/messages.js';
import type { StreamBookmark } from '../state/state.js';
import type { KeyRange } from './key-ranges.js';
import type { KeysetPosition } from './keyset.js';

/** Records a stream yields at once, with what the framework cannot derive from them. */
export interface StreamBatch {
  records: RecordData[];
  /**
   * Bookmark fields to save once these records are committed: a stream's own watermark when its records do not
   * come in replication-key order (the framework keeps the largest value seen for the end of the sync).
   */
  bookmark?: StreamBookmark;
  /** The rows in the source database's own text form (see RecordBatchMessage.native). */
  native?: NativeRows;
  time_extracted?: string;
  /**
   * The records as files instead (`records` then empty), only when `ctx.batchFiles` offered `format`: they become a
   * BATCH message. The files hold exactly the records `records` would have: the selected fields (`StreamSync.fields`);
   * with format `parquet-view` or `csv-view`, the files' rows through `view` do.
   */
  files?: { format: BatchFormat; paths: string[]; rows: number; view?: BatchView | CsvBatchView };
}

/** What a stream yields: a batch of records, or a batch with extras. */
export type StreamOutput = RecordData[] | StreamBatch;

/** A partition of a stream: the values that pick its slice (`{issue: 12}`); its bookmark is kept apart. */
export type StreamPartition = Record<string, unknown>;

/** What the framework tells a stream when it asks for its records. */
export interface StreamSync {
  /** The catalog entry being synced (selection, metadata). */
  entry: CatalogStream;
  tapStreamId: string;
  method: 'FULL_TABLE' | 'INCREMENTAL';
  /** INCREMENTAL: the replication key chosen in the catalog (or the stream's default). */
  replicationKey?: string;
  keyProperties: readonly string[];
  /** The selected fields; the framework drops the others from records. */
  fields: readonly string[];
  /** The bookmark (of this partition, for a partitioned stream) as saved when the sync started. */
  bookmark: StreamBookmark;
  /** FULL_TABLE resumed after an interruption: read only rows whose keys come strictly after these. */
  resumeAfter?: Record<string, unknown>;
  /**
   * FULL_TABLE split over workers (`key_ranges`): read only rows with `from` ≤ keys < `to` (in key order, as for
   * `resumeAfter`). The framework drops records outside it too, so asking the system for exactly this is an optimisation.
   */
  keyRange?: KeyRange;
  /**
   * INCREMENTAL: the value to read from, inclusive: the bookmark moved back by the stream's lookback, or the
   * stream's start value on a first sync, or undefined (everything).
   */
  start?: unknown;
  /** INCREMENTAL read in keyset order: the exact position to continue from (see KeysetPosition). */
  position?: KeysetPosition;
  /** The partition being read, for a partitioned stream. */
  partition?: StreamPartition;
  /**
   * Partitions read at once: a stream calls this when the partition will make no more requests (its last answer is
   * in), so the next partition starts while this one's last records are still passed on, and `concurrency`
   * requests stay in flight. Optional to call; undefined when partitions are read one at a time.
   */
  requestsDone?: () => void;
  signal: AbortSignal;
  logger: Logger;
}

/**
 * One stream of a source. It only yields records; the framework (`readStreams`) emits SCHEMA, versions, STATE
 * and bookmarks, and decides where the stream starts.
 */
export interface SourceStream {
  /** The catalog's `tap_stream_id` this stream serves (matched on `stream` too). */
  readonly name: string;
  /** Key properties; default: the catalog entry's. */
  readonly keyProperties?: readonly string[];
  /** Replication methods the stream supports; default FULL_TABLE and INCREMENTAL. */
  readonly methods?: readonly ('FULL_TABLE' | 'INCREMENTAL')[];
  /** Replication key when the catalog names none. */
  readonly replicationKey?: string;
  /** Replication keys the stream accepts; default any field. */
  readonly validReplicationKeys?: readonly string[];
  /** FULL_TABLE records come in key order, so an interrupted sync resumes after `last_pk_fetched`. */
  readonly orderedByKey?: boolean;
  /**
   * INCREMENTAL records come in (replication key, key properties) order: the bookmark moves with every batch
   * and a resumed sync continues after the last committed row (`sync.position`). Otherwise the bookmark moves
   * to the largest value seen only at the end (or to a batch's own `bookmark`).
   */
  readonly orderedByReplicationKey?: boolean;
  /** INCREMENTAL: how far behind the bookmark to start again (seconds for timestamps, units for numbers). */
  readonly lookback?: number;
  /** INCREMENTAL: where a first sync starts (a start_date); default everything. */
  readonly startValue?: unknown;
  /** The SCHEMA to emit; default the catalog entry's schema cut to the selected fields. */
  schema?(entry: CatalogStream, fields: readonly string[]): JsonSchema;
  /** The partitions to read, each with its own bookmark (child streams of a parent). */
  partitions?(sync: StreamSync): AsyncIterable<StreamPartition>;
  /**
   * How many partitions are read at once (default 1: one after another). Their batches interleave; each STATE
   * still holds only bookmarks of records already emitted.
   */
  readonly concurrency?: number;
  /** The records, in batches. */
  read(sync: StreamSync): AsyncIterable<StreamOutput>;
}

/** The state key of a partition: `issue=12` (several values joined by `,`). */
export function partitionKey(partition: StreamPartition): string {
  return Object.entries(partition)
    .map(([name, value]) => `${name}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`)
    .join(',');
}
