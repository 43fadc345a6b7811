import type { RecordData } from '@mage-int/core';
import type { MySqlClient } from './connection.js';
import { convertRow, type TablePlan } from './table-plan.js';

/**
 * Runs `sql` (selecting the plan's columns in order) and yields its rows as records in batches of `batchSize`,
 * streaming: the driver pauses the socket while a batch waits downstream, so memory holds one batch, not the
 * result. `values` are bound parameters.
 */
export async function* queryBatches(
  client: MySqlClient,
  plan: TablePlan,
  sql: string,
  values: unknown[],
  batchSize: number,
  signal: AbortSignal,
  firstIndex = 0,
): AsyncGenerator<RecordData[]> {
  const query = client.raw.query({ sql, values, rowsAsArray: true });
  const stream = query.stream({ highWaterMark: Math.max(16, Math.min(batchSize, 1000)) });
  const abort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', abort, { once: true });
  let batch: RecordData[] = [];
  let index = firstIndex;
  try {
    for await (const row of stream as AsyncIterable<unknown[]>) {
      batch.push(convertRow(plan, row, index++));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    signal.removeEventListener('abort', abort);
    // A consumer that stopped early: the rest of the result must be drained or the connection is unusable.
    if (!stream.readableEnded) {
      stream.destroy();
      client.raw.destroy();
    }
  }
}
