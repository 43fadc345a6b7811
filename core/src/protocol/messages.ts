import type { JsonSchema } from './json-schema.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A row as it travels: plain values, plus bigint for integers beyond 2^53 and exact decimals (see exact-json). */
export type RecordData = Record<string, unknown>;

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  bookmark_properties?: string[];
}

export interface RecordMessage {
  type: 'RECORD';
  stream: string;
  record: RecordData;
  version?: number;
  time_extracted?: string;
}

/** Singer leaves the STATE value free-form; mage-int sources write the `State` shape (see state/). */
export interface StateMessage {
  type: 'STATE';
  value: unknown;
}

export interface ActivateVersionMessage {
  type: 'ACTIVATE_VERSION';
  stream: string;
  version: number;
}

export interface BatchMessage {
  type: 'BATCH';
  stream: string;
  encoding: { format: BatchFormat; compression: 'gzip' | 'none' };
  manifest: string[];
  /** The FULL_TABLE version of the records in the files (as a RECORD's `version`); mage-int's addition to Singer's BATCH. */
  version?: number;
  /** How many records the files hold, when the source knows (run progress); mage-int's addition to Singer's BATCH. */
  record_count?: number;
  /**
   * Format `parquet-view`: how each file's rows become the records; format `csv-view`: how the CSV file is read and
   * its rows become the records (mage-int's addition to Singer's BATCH).
   */
  view?: BatchView | CsvBatchView;
}

/**
 * The file formats of BATCH messages: Singer's `jsonl` and `parquet` (files holding exactly the records), and
 * mage-int's `parquet-view`: the source's own Parquet file (hard-linked into the run's batch folder, not copied),
 * whose records are the rows of that file through `BatchMessage.view` — the destination applies the view while it
 * loads, so the rows are written once; and `csv-view`: a CSV file whose every row starts with the line it ends on in
 * the source's file, whose records are its rows through `BatchMessage.view` (CsvBatchView). Each is offered only to
 * destinations that list it in `loadsBatchFiles`.
 */
export type BatchFormat = 'jsonl' | 'parquet' | 'parquet-view' | 'csv-view';

/**
 * How the rows of a `parquet-view` BATCH file become records: one entry per record field, in order. Structured (no
 * SQL), so a destination builds its own statement from it and a manifest cannot make it run anything else.
 */
export interface BatchView {
  fields: BatchViewField[];
}

/** One record field of a BatchView. */
export type BatchViewField =
  /** The file's column `column`, as it is or cast to `cast` (DuckDB's type names). */
  | { name: string; column: string; cast?: BatchViewCast }
  /** The same text in every row (the file's key, a partition value). */
  | { name: string; text: string }
  /** The row's number in the file, counted from 1. */
  | { name: string; rowNumber: true };

/** The casts a BatchView may ask for. */
export type BatchViewCast = 'BIGINT' | 'DOUBLE' | 'TIMESTAMP' | 'VARCHAR';

/**
 * How a `csv-view` BATCH file is read and its rows become records (structured, no SQL; @mage-int/files reads it:
 * `csvViewRelation`, `csvViewRecords`). The file has no header; its first column is the line each row ends on in the
 * source's file (`file`), the others are that file's columns.
 */
export interface CsvBatchView {
  csv: { delimiter: string; quote: string; escape: string; nullValues: string[] };
  /** The source's file (its key), named by errors. */
  file: string;
  /** The source file's columns, in order (after the line number). */
  columns: string[];
  /** One entry per record field, in order. */
  fields: CsvBatchViewField[];
}

/** One record field of a CsvBatchView. */
export type CsvBatchViewField =
  /** Column `column` of the file's columns, converted as a record field of type `kind` (text when absent). */
  | { name: string; column: number; kind?: 'integer' | 'number' | 'boolean' }
  /** The same text in every row (the file's key, a partition value). */
  | { name: string; text: string }
  /** The line the row ends on in the source's file. */
  | { name: string; line: true };

/** The messages of the Singer wire protocol. */
export type SingerMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage | BatchMessage;

/**
 * In process only: many records of one stream at once, so a fast source does not pay an async step per row.
 * On the wire it becomes one RECORD line per record.
 */
export interface RecordBatchMessage {
  type: 'RECORD_BATCH';
  stream: string;
  records: RecordData[];
  version?: number;
  time_extracted?: string;
  /**
   * The same rows as the source database wrote them, for a destination that loads that form unchanged
   * (PostgreSQL → PostgreSQL moves COPY text without turning it into values and back). Advisory: `records`
   * stays the contract, and whoever changes the records must drop this.
   */
  native?: NativeRows;
  /**
   * The RECORD lines these records were read from (a Singer target's input), for a destination that turns their JSON
   * into its own load format without building records. Advisory like `native`: `records` stays the contract.
   */
  lines?: RecordLines;
}

/**
 * RECORD messages as a Singer target read them, one line each (`{"type":"RECORD","stream":…,"record":{…}…}`), in
 * input order, all of one stream, version and time_extracted. The batch's `records` are these lines parsed and
 * checked only when read (`lazyRecords`); a destination that loads a line from its JSON itself must accept only what
 * the reader's checks would (the stream's schema, key properties present) and read the record of any other line,
 * which parses it exactly and checks it then (an error names its input line).
 */
export interface RecordLines {
  lines: readonly string[];
  /** The input line number of the first line (the lines are consecutive). */
  firstLine: number;
  /** Where the record object (its `{`) starts in every line. */
  recordStart: number;
  /** Where each line's record object ends (just after its `}`), by the envelope after it. */
  recordEnds: readonly number[];
}

/** Rows in a database's own text form, alongside the records they decode to. */
export interface NativeRows {
  /** PostgreSQL COPY text: a row per line, tab between columns, `\N` for NULL, backslash escapes; UTF-8. */
  format: 'postgresql-copy-text';
  /** The record field of each column, in order. */
  fields: string[];
  /** Each column's PostgreSQL type (format_type spelling), whose text output the column holds. */
  types: string[];
  data: Buffer;
  /**
   * Decodes whole rows of this form (`data`, or any run of its lines) into exactly the records they came with. A
   * destination that hands `data` to its engine can then drop the records at once and, should the engine refuse
   * the rows, decode them again from the bytes it kept (on disk) instead of holding every record meanwhile.
   */
  decode?: (data: Buffer) => RecordData[];
  /**
   * The fields that hold a value (no NULL) in every row, given by a source whose `records` are decoded from `data`
   * only when read (`lazyRecords`): readers that only check that key properties are present read this instead.
   */
  filledFields?: readonly string[];
  /**
   * The rows of `data` as the JSON of the records they decode to, character for character what `stringifyRecord`
   * writes for each, every record between `prefix` and `suffix`, in strings of some 32K characters: a Singer writer
   * writes a batch whose records were never decoded (`recordsDecoded`) from this, without decoding them.
   */
  jsonLines?: (data: Buffer, prefix: string, suffix: string) => string[];
  /** What `jsonLines` writes, as its UTF-8 bytes in one buffer, written from `data`'s bytes: preferred when given. */
  jsonBytes?: (data: Buffer, prefix: string, suffix: string) => Buffer;
}

/** What a source yields and a destination consumes in process. */
export type SourceMessage = SingerMessage | RecordBatchMessage;

export const SINGER_MESSAGE_TYPES = ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION', 'BATCH'] as const;

/** Calls `fn` for each record of a RECORD or RECORD_BATCH message; lets destinations treat both alike. */
export function forEachRecord(message: RecordMessage | RecordBatchMessage, fn: (record: RecordData) => void): void {
  if (message.type === 'RECORD') fn(message.record);
  else for (const record of message.records) fn(record);
}

/** Number of records a message carries. */
export function recordCount(message: SourceMessage): number {
  if (message.type === 'RECORD') return 1;
  if (message.type === 'RECORD_BATCH') return message.records.length;
  return 0;
}
