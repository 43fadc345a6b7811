import type { RecordData } from '@mage-int/core';
import type { MySqlClient } from './connection.js';
import { convertRow, type TablePlan } from './table-plan.js';

/** Batches converted ahead of the consumer before the socket is paused. */
const READ_AHEAD_BATCHES = 2;

/**
 * Runs `sql` (selecting the plan's columns in order) and yields its rows as records in batches of `batchSize`,
 * streaming: rows are converted as the driver parses them, and the connection is paused while two batches wait
 * downstream, so memory holds a few batches, not the result. One promise per batch, not per row. `values` are
 * bound parameters; `firstIndex` numbers the records for errors.
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
  const connection = client.raw;
  const ready: RecordData[][] = [];
  let batch: RecordData[] = [];
  let index = firstIndex;
  let ended = false;
  let paused = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const query = connection.query({ sql, values, rowsAsArray: true });
  query.on('result', (row: unknown) => {
    if (failure !== undefined) return;
    try {
      batch.push(convertRow(plan, row as unknown[], index++));
    } catch (error) {
      failure = error;
      notify();
      return;
    }
    if (batch.length >= batchSize) {
      ready.push(batch);
      batch = [];
      if (ready.length >= READ_AHEAD_BATCHES && !paused) {
        paused = true;
        connection.pause();
      }
      notify();
    }
  });
  query.on('end', () => {
    if (batch.length > 0) ready.push(batch);
    batch = [];
    ended = true;
    notify();
  });
  query.on('error', (error: unknown) => {
    failure ??= error;
    ended = true;
    notify();
  });
  const onAbort = () => {
    failure ??= signal.reason instanceof Error ? signal.reason : new Error('aborted');
    notify();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const next = ready.shift();
      if (next) {
        if (paused && ready.length === 0) {
          paused = false;
          connection.resume();
        }
        yield next;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Stopped before the result ended (an error, a consumer that stopped): the rest of the result cannot be
    // skipped on this connection, so it goes.
    if (!ended) connection.destroy();
  }
}
