import type { DuckDBInstance } from '@duckdb/node-api';
import { writeWithSession, type SourceMessage, type StateMessage, type WriteContext } from '@mage-int/core';
import { DuckDBSession } from './duckdb-session.js';
import { resolveConfig, type Config } from './options.js';

/**
 * Loads `messages` into DuckDB through the destination kit's batching writer: commits by rows, bytes and age
 * (on a timer, honouring follow mode's `maxLagSeconds`), STATE released after the commit covering it, BATCH
 * files expanded. With `instance`, loads into that open database instead of opening `config.path`.
 */
export function writeToDuckDB(
  config: Config,
  messages: AsyncIterable<SourceMessage> | Iterable<SourceMessage>,
  ctx: WriteContext,
  instance?: DuckDBInstance,
): AsyncGenerator<StateMessage> {
  const resolved = resolveConfig(config, (message) => ctx.logger.warn(message));
  return writeWithSession(resolved, toAsync(messages), ctx, (control) => DuckDBSession.open(resolved, control, instance));
}

async function* toAsync<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
