import {
  createLogger,
  defineDestination,
  DestinationClient,
  secretValues,
  writeWithSession,
  type JsonSchema,
  type Logger,
  type SourceMessage,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { check } from './check.js';
import { connect, resolveConfig } from './connection.js';
import type { Config } from './generated/config.js';
import { PostgresSession } from './postgres-session.js';

export type { Config } from './generated/config.js';
export { parsePgType, formatPgType, widenPgType, type PgType, type PgKind } from './pg-types.js';
export { fieldType } from './type-map.js';
export { mapColumns, pickName } from './naming.js';
export { PostgresDialect, PG_MAX_IDENTIFIER_BYTES } from './postgres-dialect.js';
export { escapeCopyText, arrayLiteral, valueEncoder } from './copy-text.js';

/**
 * Loads messages through the destination kit's batching writer (commits by rows, bytes and age, STATE after
 * the commit, BATCH files) into a PostgreSQL session.
 */
function write(config: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const resolved = resolveConfig(config);
  const settings = { interpretContentEncoding: resolved.interpretContentEncoding };
  return writeWithSession(config, messages, ctx, (control) => PostgresSession.open(resolved, settings, control), {
    maxRows: 100_000,
    maxBytes: 268_435_456,
    maxAgeMs: 60_000,
  });
}

/** Runs a pipeline's after_load SQL on its own connection, unqualified names resolving to the target schema first. */
async function execute(config: Config, sql: string): Promise<void> {
  const resolved = resolveConfig(config);
  const client = await connect(resolved);
  try {
    await client.query(`SET search_path TO ${client.escapeIdentifier(resolved.schema)}, public`);
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL destination: `destination: {name: postgres, config: …}` in a pipeline, or `destination-postgres` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'postgres',
  spec: spec as JsonSchema,
  check,
  write,
  execute,
  loadsNativeRows: ['postgresql-copy-text'],
  // As a Singer target, RECORD lines go to COPY text from their JSON where they can (see record-lines.ts).
  readsRecordLines: true,
});

export default destination;

export interface PostgreSQLOptions {
  config: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The destination as a class, for scripts: `new PostgreSQL({config}).write(messages)` loads messages (enforcing
 * the Singer rules, as the runner does) and yields states after commit; see DestinationClient.
 */
export class PostgreSQL extends DestinationClient<Config> {
  constructor(options: PostgreSQLOptions) {
    const logger = options.logger ?? createLogger({ secrets: secretValues(destination.spec, options.config), name: 'postgres' });
    super(destination, { config: options.config, logger, ...(options.signal ? { signal: options.signal } : {}) });
  }
}
