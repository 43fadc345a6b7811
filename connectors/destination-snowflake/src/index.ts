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
import { connectionOptions, dialectFor, resolveConfig } from './client.js';
import { ExternalStage } from './external-stage.js';
import type { Config } from './generated/config.js';
import { SnowflakeConnection } from './snowflake-connection.js';

export type { Config, ResolvedConfig } from './generated/config.js';
export { SnowflakeDialect, SNOWFLAKE_MAX_IDENTIFIER, SNOWFLAKE_DEFAULT_SCALE, upperIdentifier } from './snowflake-dialect.js';
export { SnowflakeConnection } from './snowflake-connection.js';
export { snowflakeError } from '@mage-int/snowflake';
export { connectionOptions, resolveConfig, isSnowflakeHost } from './client.js';
export { writeLoadFile } from './load-file.js';
export { ExternalStage, checkExternalStage } from './external-stage.js';

/**
 * Loads messages through the destination kit: the batching writer (commits by rows, bytes and age, STATE after the
 * commit, BATCH files) over the SQL kit's session with the Snowflake dialect and an sdk connection.
 */
export function writeSnowflake(input: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const config = resolveConfig(input);
  return writeWithSession(
    input,
    messages,
    ctx,
    async (control) => {
      const dialect = dialectFor(config);
      const connection = await SnowflakeConnection.open(connectionOptions(config), dialect, {
        logger: control.logger,
        queryTimeoutSeconds: config.query_timeout_seconds,
        ...(config.stage ? { stage: config.stage } : {}),
        ...(config.external_stage ? { externalStage: new ExternalStage(config.external_stage, dialect, dialect.runId) } : {}),
      });
      return new SqlSession(dialect, connection, sqlSessionOptions(config, config.schema), control);
    },
    { maxRows: 100_000, maxBytes: 268_435_456, maxAgeMs: 300_000 },
  );
}

/** The Snowflake destination: `destination: {name: snowflake, config: …}` in a pipeline, or `destination-snowflake` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'snowflake',
  spec: spec as JsonSchema,
  check,
  write: (config, messages, ctx) => writeSnowflake(config, messages, ctx),
});

export default destination;

export interface SnowflakeDestinationOptions {
  config: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/** The destination as a class, for scripts: `new SnowflakeDestination({config}).write(messages)` yields states after commit. */
export class SnowflakeDestination extends DestinationClient<Config> {
  constructor(options: SnowflakeDestinationOptions) {
    const logger = options.logger ?? createLogger({ secrets: secretValues(destination.spec, options.config), name: 'snowflake' });
    super(destination, { config: options.config, logger, ...(options.signal ? { signal: options.signal } : {}) });
  }
}
