import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  validateConfig,
  type Catalog,
  type JsonSchema,
  type Logger,
  type SourceClientOptions,
} from '@mage-int/core';
import { requireCredentials, snowflakeConnectionOptions, SnowflakeSession } from '@mage-int/snowflake';
import spec from '../spec.json' with { type: 'json' };
import { catalogOf, streamSources } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { snowflakeStream } from './snowflake-stream.js';
import { sessionContext } from './warehouse.js';

export type { Config, ResolvedConfig } from './generated/config.js';
export { columnSchema, cellValue, sqlDatatype, type SnowflakeColumn } from './type-map.js';
export { snowflakeStream, statement } from './snowflake-stream.js';
export type { StreamSource } from './discover.js';

/** The config checked against the spec, every default filled in. */
export function resolveConfig(input: Config): ResolvedConfig {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source snowflake');
  requireCredentials(config);
  return config;
}

/**
 * A session for the config: logged in (password or key pair), UTC as its time zone, TIME given with microseconds,
 * the statement timeout set, and
 * the warehouse checked to be in use (Snowflake logs in without one when it does not exist or the role may not use it).
 */
async function openSession(config: ResolvedConfig, logger: Logger): Promise<{ session: SnowflakeSession; database: string }> {
  const timeout = config.query_timeout_seconds ? ` STATEMENT_TIMEOUT_IN_SECONDS = ${Math.trunc(config.query_timeout_seconds)}` : '';
  const session = await SnowflakeSession.open(snowflakeConnectionOptions(config), {
    logger,
    setup: [`ALTER SESSION SET TIMEZONE = 'UTC' TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF6'${timeout}`],
    what: `account ${config.account}`,
  });
  try {
    const { database } = await sessionContext(session, config);
    return { session, database };
  } catch (error) {
    await session.close().catch(() => {});
    throw error;
  }
}

/** The Snowflake source: tables and views of a schema and configured queries, their results streamed chunk by chunk. */
const source = defineSource<Config>({
  kind: 'source',
  name: 'snowflake',
  spec: spec as JsonSchema,

  async check(input, ctx) {
    let session: SnowflakeSession | undefined;
    try {
      const config = resolveConfig(input);
      const opened = await openSession(config, ctx.logger);
      session = opened.session;
      const sources = await streamSources(session, config, opened.database);
      return { ok: true, message: `${config.database}.${config.schema} on warehouse ${config.warehouse}: ${sources.length} streams` };
    } catch (error) {
      return { ok: false, message: formatError(error), error };
    } finally {
      await session?.close().catch(() => {});
    }
  },

  async discover(input, ctx): Promise<Catalog> {
    const config = resolveConfig(input);
    const { session, database } = await openSession(config, ctx.logger);
    try {
      return catalogOf(await streamSources(session, config, database), config, database);
    } finally {
      await session.close().catch(() => {});
    }
  },

  async *read(input, catalog, state, ctx) {
    const config = resolveConfig(input);
    const { session, database } = await openSession(config, ctx.logger);
    try {
      const sources = await streamSources(session, config, database);
      yield* readStreams(
        sources.map((s) => snowflakeStream(session, s, { batchRows: config.batch_rows })),
        catalog,
        state,
        ctx,
      );
    } finally {
      await session.close().catch(() => {});
    }
  },
});

export default source;

/** Programmatic use: `new SnowflakeSource({config}).discover()`, `.read(catalog, state)`. */
export class SnowflakeSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
