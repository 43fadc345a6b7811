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
import { SqlSession, sqlSessionOptions } from '@mage-int/core/sql';
import spec from '../spec.json' with { type: 'json' };
import { check } from './check.js';
import { connect, resolveConfig, type ConnectOptions } from './connection.js';
import type { Config } from './generated/config.js';
import { MysqlConnection } from './mysql-connection.js';
import { MysqlDialect } from './mysql-dialect.js';

export type { Config } from './generated/config.js';
export { MysqlDialect, MYSQL_MAX_IDENTIFIER_LENGTH } from './mysql-dialect.js';
export { parseMysqlType, fromPostgresType, formatMysqlType, widenMysqlType, type MysqlType } from './mysql-types.js';
export { fieldType } from './type-map.js';
export { serverInfo, type ServerInfo } from './server-info.js';
export { utcDateTime } from './value-text.js';

/**
 * Loads messages through the destination kit: the batching writer (commits by rows, bytes and age, STATE after
 * the commit, BATCH files) over the SQL kit's session with the MySQL dialect and a LOAD DATA connection.
 */
export function writeMysql(
  input: Config,
  messages: AsyncIterable<SourceMessage>,
  ctx: WriteContext,
  connectOptions: ConnectOptions = {},
): AsyncGenerator<StateMessage> {
  const config = resolveConfig(input, ctx.logger);
  return writeWithSession(
    input,
    messages,
    ctx,
    async (control) => {
      const client = await connect(config, connectOptions);
      const dialect = new MysqlDialect(client.server, { lowercase: config.lowercase_identifiers });
      const connection = new MysqlConnection(client, dialect, config.local_infile, control.logger);
      return new SqlSession(dialect, connection, sqlSessionOptions(config, config.database), control);
    },
    { maxRows: 100_000, maxBytes: 268_435_456, maxAgeMs: 60_000 },
  );
}

/** The MySQL / MariaDB destination: `destination: {name: mysql, config: …}` in a pipeline, or `destination-mysql` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'mysql',
  spec: spec as JsonSchema,
  check,
  write: (config, messages, ctx) => writeMysql(config, messages, ctx),
});

export default destination;

export interface MySQLOptions {
  config: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The destination as a class, for scripts: `new MySQL({config}).write(messages)` loads messages (enforcing the
 * Singer rules, as the runner does) and yields states after commit; see DestinationClient.
 */
export class MySQL extends DestinationClient<Config> {
  constructor(options: MySQLOptions) {
    const logger = options.logger ?? createLogger({ secrets: secretValues(destination.spec, options.config), name: 'mysql' });
    super(destination, { config: options.config, logger, ...(options.signal ? { signal: options.signal } : {}) });
  }
}
