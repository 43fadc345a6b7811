import type { ConflictMethod } from '../connector/contract.js';
import type { Logger } from '../connector/logger.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { BatchMessage, NativeRows, RecordData, RecordLines } from '../protocol/messages.js';

/** A stream as a destination session sees it when it is opened (first SCHEMA) or re-opened (changed SCHEMA). */
export interface StreamInfo {
  name: string;
  schema: JsonSchema;
  keyProperties: string[];
  /** The stream's load rule, resolved: a stream without key properties is always `append`. */
  conflictMethod: ConflictMethod;
}

/** Records of one stream to load: a RECORD, a RECORD_BATCH or a group of a BATCH file's lines. */
export interface RecordBatch {
  stream: string;
  records: RecordData[];
  version?: number;
  timeExtracted?: string;
  /** The same rows in the source database's own form, when it sent them (advisory: see RecordBatchMessage). */
  native?: NativeRows;
  /** The RECORD lines the records were read from, when a Singer target read them (advisory: see RecordBatchMessage). */
  lines?: RecordLines;
}

/**
 * Why the batching writer commits: the policy's rows or bytes (`size`), the age of the oldest uncommitted record
 * (`age`, which in follow mode means the input went quiet), a new or changed SCHEMA (`schema`), ACTIVATE_VERSION
 * (`version`), the end of the input (`end`), or the session's own request (`session`, see SessionControl.commit).
 */
export type CommitReason = 'size' | 'age' | 'schema' | 'version' | 'end' | 'session';

/** What the batching writer lends a session. */
export interface SessionControl {
  logger: Logger;
  signal: AbortSignal;
  /**
   * Commits now, from inside `write`: for a session that must end the transaction before it changes a table
   * (a column widened for a value that did not fit). Records written before the call are then committed,
   * and the STATE before them is released once `write` returns.
   */
  commit(): Promise<void>;
}

/**
 * The small object a destination supplies to the batching writer (core/src/destination/batching-writer.ts): the
 * writer owns reading, flushing by rows/bytes/age, STATE release after commit, BATCH files and the input
 * checks; the session only loads. Calls never overlap.
 */
export interface DestinationSession {
  /**
   * A stream's first SCHEMA, or a changed one (schema evolution). Always called with nothing uncommitted, so
   * the session may run DDL (engines without transactional DDL included).
   */
  openStream(stream: StreamInfo): Promise<void>;
  /** Loads (or buffers) records of an opened stream. Nothing is durable until `commit`. */
  write(batch: RecordBatch): Promise<void>;
  /**
   * Bytes loaded or buffered since the last commit, for `batch_size_bytes`. Without it only rows and age
   * count.
   */
  uncommittedBytes?(): number;
  /**
   * ACTIVATE_VERSION: rows of the stream older than `version` are gone from the source (delete them, or mark
   * them deleted). The writer commits right after.
   */
  activateVersion?(stream: string, version: number): Promise<void>;
  /**
   * Loads the files of a BATCH message of an opened stream itself (their formats are the destination's
   * `loadsBatchFiles`); `paths` are checked local paths. Returns false to have the kit read the records instead
   * (JSON Lines). Nothing is durable until `commit`.
   */
  loadBatchFiles?(message: BatchMessage, paths: readonly string[]): Promise<boolean>;
  /**
   * Makes everything written so far durable (one transaction, an fsync). `reason` says what asked for it; a
   * session that put work off while a load streams in (destination-postgres builds a new table's primary key
   * after the rows) does it at a commit that is not for size.
   */
  commit(reason?: CommitReason): Promise<void>;
  /**
   * True while the session holds work put off until the load settles: the writer then calls `commit` at its next
   * age, schema, version or end commit even when nothing was written since the last one.
   */
  hasDeferredWork?(): boolean;
  /** Ends the session; `failed` when the load stops on an error (roll back what is uncommitted). */
  close(failed: boolean): Promise<void>;
}
