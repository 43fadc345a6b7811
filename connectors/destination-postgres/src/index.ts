import {
  createLogger,
  defineDestination,
  DestinationClient,
  secretValues,
  writeWithSession,
  type CheckResult,
  type ConnectorContext,
  type JsonSchema,
  type Logger,
  type SourceMessage,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
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
  const settings = { interpretContentEncoding: config.interpret_content_encoding ?? false };
  return writeWithSession(config, messages, ctx, (control) => PostgresSession.open(resolved, settings, control), {
    maxRows: 100_000,
    maxBytes: 268_435_456,
    maxAgeMs: 60_000,
  });
}

async function check(config: Config, _ctx: ConnectorContext): Promise<CheckResult> {
  const resolved = resolveConfig(config);
  let client;
  try {
    client = await connect(resolved);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  try {
    const result = await client.query<{ exists: boolean; can_create_schema: boolean; can_use_schema: boolean | null; version: string }>(
      `SELECT n.oid IS NOT NULL AS exists,
              has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
              CASE WHEN n.oid IS NULL THEN NULL ELSE has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE') END AS can_use_schema,
              current_setting('server_version') AS version
         FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`,
      [resolved.schema],
    );
    const row = result.rows[0];
    if (!row) return { ok: false, message: 'the server returned nothing' };
    if (row.exists && !row.can_use_schema) return { ok: false, message: `user ${resolved.username} cannot create tables in schema "${resolved.schema}"` };
    if (!row.exists && !row.can_create_schema) return { ok: false, message: `schema "${resolved.schema}" does not exist and user ${resolved.username} cannot create it` };
    return { ok: true, message: `connected to PostgreSQL ${row.version}, database ${resolved.database}, schema "${resolved.schema}"${row.exists ? '' : ' (will be created)'}` };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The PostgreSQL destination: `destination: {name: postgres, config: …}` in a pipeline, or `destination-postgres` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'postgres',
  spec: spec as JsonSchema,
  check,
  write,
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
