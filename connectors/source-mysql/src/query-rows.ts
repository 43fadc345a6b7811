import type { NativeRows, RecordData } from '@mage-int/core';
import type { Query } from 'mysql2';
import type { MySqlClient } from './connection.js';
import type { NativeRowsWriter, RowPacket } from './native-rows.js';
import { convertRow, rowError, type TablePlan } from './table-plan.js';

/** Batches converted ahead of the consumer before the socket is paused. */
const READ_AHEAD_BATCHES = 2;

/** Rows of one batch: their records, and their COPY text when a writer was given and every value had a form. */
export interface RowBatch {
  records: RecordData[];
  native?: NativeRows;
}

/** What mysql2's query calls for each row packet of a text-protocol result (its compiled row parser). */
interface RowParser {
  next(packet: RowPacket, fields: unknown, options: unknown): unknown;
}

/** What the query emits for a row the native writer took. */
const WRITTEN = Symbol('row written');

/**
 * Hands each row packet of `query` to `onRow` instead of mysql2's own row parser: the parser mysql2 compiles for the
 * result set is replaced as it is installed (the query's `_rowParser`), and the query emits WRITTEN for each row. A
 * driver that installs its parser otherwise keeps it and emits its rows, which `queryBatches` then converts itself.
 */
function onRowPackets(query: Query, onRow: (packet: RowPacket) => void): void {
  let parser: RowParser | null = null;
  const writer: RowParser = {
    next: (packet) => {
      onRow(packet);
      return WRITTEN;
    },
  };
  Object.defineProperty(query, '_rowParser', {
    configurable: true,
    enumerable: true,
    get: () => parser,
    set: (installed: RowParser | null) => {
      parser = installed && writer;
    },
  });
}

/**
 * Runs `sql` (selecting the plan's columns in order) and yields its rows as records in batches of `batchSize`,
 * streaming: rows are converted as the driver parses them, and the connection is paused while two batches wait
 * downstream, so memory holds a few batches, not the result. One promise per batch, not per row. `values` are
 * bound parameters; `firstIndex` numbers the records for errors. With `native`, the writer takes the row packets
 * instead of the driver's parser: each batch's records are decoded from its PostgreSQL COPY text when read, and the
 * text goes with them as native rows (see native-rows.ts).
 */
export async function* queryBatches(
  client: MySqlClient,
  plan: TablePlan,
  sql: string,
  values: unknown[],
  batchSize: number,
  signal: AbortSignal,
  { firstIndex = 0, native }: { firstIndex?: number; native?: NativeRowsWriter } = {},
): AsyncGenerator<RowBatch> {
  const connection = client.raw;
  const ready: RowBatch[] = [];
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
  if (native) {
    onRowPackets(query, (packet) => {
      if (failure !== undefined) return;
      try {
        native.row(packet);
      } catch (error) {
        failure = rowError(plan, error, index);
        notify();
      }
    });
  }
  const full = () => {
    if (ready.length >= READ_AHEAD_BATCHES && !paused) {
      paused = true;
      connection.pause();
    }
    notify();
  };
  query.on('result', (row: unknown) => {
    if (failure !== undefined) return;
    if (row === WRITTEN) {
      index++;
      if ((native as NativeRowsWriter).rows >= batchSize) {
        ready.push((native as NativeRowsWriter).take());
        full();
      }
      return;
    }
    try {
      batch.push(convertRow(plan, row as unknown[], index++));
    } catch (error) {
      failure = error;
      notify();
      return;
    }
    if (batch.length >= batchSize) {
      ready.push({ records: batch });
      batch = [];
      full();
    }
  });
  query.on('end', () => {
    if (native && native.rows > 0 && failure === undefined) ready.push(native.take());
    if (batch.length > 0) ready.push({ records: batch });
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
