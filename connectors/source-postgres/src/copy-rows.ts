import type { RecordData } from '@mage-int/core';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { compileRowsDecoder, type RowColumn } from './copy-text-decoder.js';

export type { RowColumn } from './copy-text-decoder.js';

/**
 * Decodes a COPY text byte stream into records, `batchSize` at a time (never more). Each chunk is decoded
 * to a string once, up to its last complete row; the bytes of a row cut by a chunk boundary wait until the
 * chunk that ends it. The next chunk is only pulled once the batch before was taken, so a slow consumer
 * pauses the stream instead of letting rows pile up.
 */
export async function* decodeCopyChunks(chunks: AsyncIterable<Buffer>, columns: readonly RowColumn[], batchSize: number): AsyncGenerator<RecordData[]> {
  const decodeRows = compileRowsDecoder(columns);
  const max = Math.max(1, batchSize);
  let pending: Buffer[] = [];
  let batch: RecordData[] = [];
  for await (const chunk of chunks) {
    let from = 0;
    if (pending.length > 0) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        pending.push(chunk);
        continue;
      }
      pending.push(chunk.subarray(0, nl + 1));
      const row = Buffer.concat(pending).toString('utf8');
      pending = [];
      decodeRows(row, 0, row.length, batch, Infinity);
      if (batch.length >= max) {
        yield batch;
        batch = [];
      }
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < from) {
      if (from < chunk.length) pending.push(chunk.subarray(from));
      continue;
    }
    if (last + 1 < chunk.length) pending.push(chunk.subarray(last + 1));
    const text = chunk.toString('utf8', from, last + 1);
    let pos = 0;
    while (pos < text.length) {
      pos = decodeRows(text, pos, text.length, batch, max);
      if (batch.length >= max) {
        yield batch;
        batch = [];
      }
    }
  }
  if (pending.length > 0) throw new Error('COPY output ended in the middle of a row');
  if (batch.length > 0) yield batch;
}

/**
 * Runs `COPY (<select>) TO STDOUT` and yields its rows as records, `batchSize` at a time. COPY streams rows
 * without a round trip per page; while the consumer is busy the COPY stream stops reading the socket
 * (pg-copy-streams honours backpressure), so TCP flow control pauses the server.
 */
export async function* copyRows(client: pg.Client, select: string, columns: readonly RowColumn[], batchSize: number, signal?: AbortSignal): AsyncGenerator<RecordData[]> {
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
