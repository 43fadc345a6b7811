import { lazyRecords, type RecordData } from '@mage-int/core';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { compileRowsDecoder, type RowColumn, type RowsDecoder } from './copy-text-decoder.js';
import { bytesTranscodable, compileRowsJsonBytesTranscoder, type RowsJsonBytesTranscoder } from './copy-bytes-json.js';
import { compileRowsJsonTranscoder, type RowsJsonTranscoder } from './copy-text-json.js';

export type { RowColumn } from './copy-text-decoder.js';

/**
 * A batch also ends once its rows hold this much COPY text (characters), so a table of wide rows (large
 * json or text values) is read in smaller batches instead of `batch_size` rows of megabytes each.
 */
export const BATCH_TEXT_LIMIT = 8 * 1024 * 1024;

/**
 * Chunks are decoded to strings this many bytes at a time. Records keep substrings of these strings, which
 * keep the whole string alive; kept under V8's large object size (128 KB, 64K characters when one is not
 * Latin-1), a string alive at a young-generation GC is copied like any small object, instead of moving
 * straight to the old generation, where it would wait for a full GC long after its batch was written.
 */
const SEGMENT_BYTES = 32 * 1024;

/** COPY text rows (each ending in a newline) with the records they decode to, decoded only when read. */
export interface CopyBatch {
  records: RecordData[];
  text: Buffer;
}

/**
 * What one column list's COPY text turns into, each compiled on first use: records (all of a batch, or one alone) and
 * the records' JSON. Text is decoded to strings SEGMENT_BYTES at a time, whole rows each.
 */
export class CopyTextCodec {
  #decodeRows: RowsDecoder | undefined;
  #transcode: RowsJsonTranscoder | undefined;
  #transcodeBytes: RowsJsonBytesTranscoder | undefined;
  constructor(readonly columns: readonly RowColumn[]) {}

  /** Whole rows (`data` ends with a newline) into their records. */
  readonly decode = (data: Buffer): RecordData[] => {
    const decodeRows = (this.#decodeRows ??= compileRowsDecoder(this.columns));
    const out: RecordData[] = [];
    forEachSegment(data, (text) => decodeRows(text, 0, text.length, out, Infinity));
    return out;
  };

  /** The record of row `index` of the `count` rows of `data` alone (the last one's keys make the bookmark). */
  decodeAt(data: Buffer, count: number, index: number): RecordData {
    /** The start of the row that ends just before `end`. */
    const rowBefore = (end: number) => (end >= 2 ? data.lastIndexOf(10, end - 2) + 1 : 0);
    let start: number;
    let end: number;
    if (index >= count / 2) {
      end = data.length;
      start = rowBefore(end);
      for (let k = count - 1; k > index; k--) start = rowBefore((end = start));
    } else {
      start = 0;
      for (let k = 0; k < index; k++) start = data.indexOf(10, start) + 1;
      end = data.indexOf(10, start) + 1;
    }
    const text = data.toString('utf8', start, end);
    const out: RecordData[] = [];
    (this.#decodeRows ??= compileRowsDecoder(this.columns))(text, 0, text.length, out, 1);
    return out[0] as RecordData;
  }

  /** NativeRows.jsonLines: the records' JSON written from the text, no record built. */
  readonly jsonLines = (data: Buffer, prefix: string, suffix: string): string[] => {
    const transcode = (this.#transcode ??= compileRowsJsonTranscoder(this.columns));
    const out: string[] = [];
    forEachSegment(data, (text) => out.push(transcode(text, prefix, suffix)));
    return out;
  };

  /**
   * NativeRows.jsonBytes: the same JSON as `jsonLines`, as UTF-8 written from the bytes (no string decoded or
   * encoded); text that is not valid UTF-8 goes through `jsonLines`, which decodes it as every record would be.
   */
  readonly jsonBytes = (data: Buffer, prefix: string, suffix: string): Buffer => {
    if (!bytesTranscodable(data)) return Buffer.from(this.jsonLines(data, prefix, suffix).join(''));
    const transcode = (this.#transcodeBytes ??= compileRowsJsonBytesTranscoder(this.columns));
    return transcode(data, Buffer.from(prefix), Buffer.from(suffix));
  };

  /** The `count` records of `data`, decoded when read. */
  records(data: Buffer, count: number): RecordData[] {
    return lazyRecords(
      count,
      () => this.decode(data),
      (index) => this.decodeAt(data, count, index),
    );
  }
}

/** Calls `fn` with the rows of `data` as strings of about SEGMENT_BYTES (a longer row alone). */
function forEachSegment(data: Buffer, fn: (text: string) => void): void {
  for (let from = 0; from < data.length; ) {
    let end = data.length;
    if (end - from > SEGMENT_BYTES) {
      end = data.lastIndexOf(10, from + SEGMENT_BYTES - 1) + 1;
      if (end <= from) end = data.indexOf(10, from + SEGMENT_BYTES) + 1 || data.length;
    }
    fn(data.toString('utf8', from, end));
    from = end;
  }
}

/** One codec per column list (a plan's columns), shared by its batches. */
const codecs = new WeakMap<readonly RowColumn[], CopyTextCodec>();

export function copyTextCodec(columns: readonly RowColumn[]): CopyTextCodec {
  let codec = codecs.get(columns);
  if (!codec) codecs.set(columns, (codec = new CopyTextCodec(columns)));
  return codec;
}

/**
 * Cuts a COPY text byte stream into batches of `batchSize` rows (never more, fewer when the rows reach `textLimit`
 * bytes), each batch's bytes copied out of the chunks once, its records decoded only when read (`lazyRecords`): a
 * destination that loads the text as it is, or a tap writing the records' JSON from it, never builds them. Rows are
 * found by their newline bytes alone (COPY escapes the newlines inside values), no string made. The next chunk is only
 * pulled once the batch before was taken, so a slow consumer pauses the stream instead of letting rows pile up.
 */
export async function* decodeCopyChunks(
  chunks: AsyncIterable<Buffer>,
  columns: readonly RowColumn[],
  batchSize: number,
  textLimit = BATCH_TEXT_LIMIT,
): AsyncGenerator<CopyBatch> {
  const codec = copyTextCodec(columns);
  const max = Math.max(1, batchSize);
  /** The start of a row cut by the last chunk's end. */
  let pending: Buffer[] = [];
  /** The complete rows of the batch, as views into the chunks (copied once, when the batch is taken). */
  let parts: Buffer[] = [];
  let bytes = 0;
  let rows = 0;
  const take = (): CopyBatch => {
    const text = parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts, bytes);
    const batch = { records: codec.records(text, rows), text };
    parts = [];
    bytes = 0;
    rows = 0;
    return batch;
  };
  for await (const chunk of chunks) {
    let from = 0;
    if (pending.length > 0) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        pending.push(chunk);
        continue;
      }
      pending.push(chunk.subarray(0, nl + 1));
      const row = Buffer.concat(pending);
      pending = [];
      parts.push(row);
      bytes += row.length;
      rows++;
      from = nl + 1;
      if (rows >= max || bytes >= textLimit) yield take();
    }
    /** Where the rows of this chunk not yet in `parts` start. */
    let start = from;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      from = nl + 1;
      rows++;
      if (rows >= max || bytes + (from - start) >= textLimit) {
        parts.push(chunk.subarray(start, from));
        bytes += from - start;
        start = from;
        yield take();
      }
    }
    if (start < from) {
      parts.push(chunk.subarray(start, from));
      bytes += from - start;
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
  if (pending.length > 0) throw new Error('COPY output ended in the middle of a row');
  if (rows > 0) yield take();
}

/**
 * Runs `COPY (<select>) TO STDOUT` and yields its rows as records, `batchSize` at a time. COPY streams rows
 * without a round trip per page; while the consumer is busy the COPY stream stops reading the socket
 * (pg-copy-streams honours backpressure), so TCP flow control pauses the server.
 */
export async function* copyRows(
  client: pg.Client,
  select: string,
  columns: readonly RowColumn[],
  batchSize: number,
  signal?: AbortSignal,
): AsyncGenerator<CopyBatch> {
  const stream = client.query(copyStreams.to(`COPY (${select}) TO STDOUT`));
  const onAbort = () => stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    yield* decodeCopyChunks(stream as AsyncIterable<Buffer>, columns, batchSize);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
  }
}
