import type { RecordData } from '@mage-int/core';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { compileRowsDecoder, type RowColumn } from './copy-text-decoder.js';

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

/** Records decoded from COPY text, with the text (bytes) of exactly those rows. */
export interface CopyBatch {
  records: RecordData[];
  text: Buffer;
}

/**
 * Decodes a COPY text byte stream into records, `batchSize` at a time (never more, fewer when the rows
 * reach `textLimit` characters). Each chunk is decoded to a string once, up to its last complete row; the
 * bytes of a row cut by a chunk boundary wait until the chunk that ends it. The next chunk is only pulled
 * once the batch before was taken, so a slow consumer pauses the stream instead of letting rows pile up.
 * Each batch also carries its rows' bytes, for a destination that loads COPY text as it is.
 */
export async function* decodeCopyChunks(
  chunks: AsyncIterable<Buffer>,
  columns: readonly RowColumn[],
  batchSize: number,
  textLimit = BATCH_TEXT_LIMIT,
): AsyncGenerator<CopyBatch> {
  const decodeRows = compileRowsDecoder(columns);
  const max = Math.max(1, batchSize);
  let pending: Buffer[] = [];
  let batch: RecordData[] = [];
  let batchText = 0;
  /** The bytes of the rows in `batch`, as views into the chunks (copied once, when the batch is taken). */
  let bytes: Buffer[] = [];
  const take = (): CopyBatch => {
    const out = { records: batch, text: bytes.length === 1 ? Buffer.from(bytes[0] as Buffer) : Buffer.concat(bytes) };
    batch = [];
    batchText = 0;
    bytes = [];
    return out;
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
      const rowBytes = Buffer.concat(pending);
      const row = rowBytes.toString('utf8');
      pending = [];
      decodeRows(row, 0, row.length, batch, Infinity);
      bytes.push(rowBytes);
      batchText += row.length;
      if (batch.length >= max || batchText >= textLimit) yield take();
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < from) {
      if (from < chunk.length) pending.push(chunk.subarray(from));
      continue;
    }
    if (last + 1 < chunk.length) pending.push(chunk.subarray(last + 1));
    while (from <= last) {
      // Rows up to SEGMENT_BYTES at a time (a longer row alone).
      let end = last;
      if (last - from >= SEGMENT_BYTES) {
        end = chunk.lastIndexOf(10, from + SEGMENT_BYTES - 1);
        if (end < from) end = chunk.indexOf(10, from + SEGMENT_BYTES);
      }
      const text = chunk.toString('utf8', from, end + 1);
      /** Where in the chunk the rows not yet in `bytes` start. */
      let byteFrom = from;
      from = end + 1;
      for (let pos = 0; pos < text.length; ) {
        const next = decodeRows(text, pos, Math.min(text.length, pos + textLimit - batchText), batch, max);
        batchText += next - pos;
        if (batch.length >= max || batchText >= textLimit) {
          // The batch ends inside this segment: its bytes end where character `next` starts.
          const byteEnd = next === text.length ? from : byteFrom + Buffer.byteLength(text.slice(pos, next));
          bytes.push(chunk.subarray(byteFrom, byteEnd));
          byteFrom = byteEnd;
          yield take();
        }
        pos = next;
      }
      if (byteFrom < from) bytes.push(chunk.subarray(byteFrom, from));
    }
  }
  if (pending.length > 0) throw new Error('COPY output ended in the middle of a row');
  if (batch.length > 0) yield take();
}

/**
 * Decodes whole COPY text rows into the records `decodeCopyChunks` yields for them (NativeRows.decode); the
 * decoder is compiled on first use, which is rare: only a destination whose engine refused the rows asks.
 */
export function copyTextDecoder(columns: readonly RowColumn[]): (data: Buffer) => RecordData[] {
  let decodeRows: ReturnType<typeof compileRowsDecoder> | undefined;
  return (data) => {
    decodeRows ??= compileRowsDecoder(columns);
    const text = data.toString('utf8');
    const out: RecordData[] = [];
    decodeRows(text, 0, text.length, out, Infinity);
    return out;
  };
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
