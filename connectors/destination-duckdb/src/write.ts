import type { DuckDBInstance } from '@duckdb/node-api';
import type { SourceMessage, StateMessage } from '@mage-int/core';
import { DuckDBLoader, type LoaderContext } from './loader.js';
import { resolveConfig, type Config } from './options.js';

export interface WriteOptions extends LoaderContext {
  signal?: AbortSignal;
  /** Load into this open database instead of opening `config.path`. */
  instance?: DuckDBInstance;
}

const AGED = Symbol('aged');

/** Resolves to `AGED` at `deadline` unless `pending` settles first. */
async function untilDeadline<T>(pending: Promise<T>, deadline: number): Promise<T | typeof AGED> {
  let timer: NodeJS.Timeout | undefined;
  const aged = new Promise<typeof AGED>((resolve) => {
    timer = setTimeout(() => resolve(AGED), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([pending, aged]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loads `messages` into DuckDB and yields each STATE once every record before it is committed. Pulls the
 * next message only after the current one is staged (backpressure); commits when a batch is full by rows or
 * bytes, when its oldest record reaches `batch_max_age_ms` (even while the source is quiet), and at the end.
 */
export async function* writeToDuckDB(config: Config, messages: AsyncIterable<SourceMessage> | Iterable<SourceMessage>, options: WriteOptions): AsyncGenerator<StateMessage> {
  const resolved = resolveConfig(config);
  const loader = await DuckDBLoader.open(resolved, options, options.instance);
  const iterator = Symbol.asyncIterator in messages ? messages[Symbol.asyncIterator]() : toAsync(messages);
  let exhausted = false;
  let pending: Promise<IteratorResult<SourceMessage>> | undefined;
  try {
    pending = iterator.next();
    for (;;) {
      const deadline = loader.flushDeadline;
      const result = deadline === undefined ? await pending : await untilDeadline(pending, deadline);
      if (result === AGED) {
        yield* await loader.flush();
        continue;
      }
      if (result.done) {
        exhausted = true;
        break;
      }
      options.signal?.throwIfAborted();
      yield* await loader.handle(result.value);
      pending = iterator.next();
    }
    yield* await loader.finish();
  } finally {
    await loader.close();
    // Stop the source when we stop early (an error here, or the consumer gave up).
    if (!exhausted) {
      pending?.catch(() => undefined);
      void iterator.return?.()?.catch(() => undefined);
    }
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
