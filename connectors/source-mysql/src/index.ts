import {
  defineSource,
  emptyState,
  formatError,
  readStreams,
  replicationKey,
  replicationMethod,
  selectedStreams,
  applyMysqlConnKwargs,
  SourceClient,
  validateConfig,
  type Catalog,
  type CheckResult,
  type ConnectorContext,
  type DiscoverContext,
  type JsonSchema,
  type SourceClientOptions,
  type SourceMessage,
  type SourceStream,
  type State,
  type Logger,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { configuredDatabases, connect, explainError } from './connection.js';
import { discoverCatalog } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { readLogBased } from './read-log-based.js';
import { preflight } from './preflight.js';
import { serverInfo } from './server-info.js';
import { planTable } from './table-plan.js';
import { tableStream } from './table-streams.js';
import { keyRanges } from './key-ranges.js';

export type { Config } from './generated/config.js';
export { discoverCatalog } from './discover.js';

async function check(config: ResolvedConfig): Promise<CheckResult> {
  let client;
  try {
    client = await connect(config);
    const databases = configuredDatabases(config);
    const found = await client.query<{ name: string }>(
      `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)`,
      [databases],
    );
    const missing = databases.filter((d) => !found.some((r) => r.name === d));
    if (missing.length > 0)
      return { ok: false, message: `database(s) not found or not visible to ${config.username}: ${missing.join(', ')}` };
    const info = await serverInfo(client);
    const cdc =
      info.logBin && info.binlogFormat.toUpperCase() === 'ROW' && info.binlogRowImage.toUpperCase() === 'FULL'
        ? 'LOG_BASED available'
        : `LOG_BASED unavailable (log_bin=${info.logBin ? 'ON' : 'OFF'}, binlog_format=${info.binlogFormat || '-'}, binlog_row_image=${info.binlogRowImage || '-'}; needs ON, ROW, FULL)`;
    return { ok: true, message: `connected to ${info.engine === 'mariadb' ? 'MariaDB' : 'MySQL'} ${info.version}; ${cdc}` };
  } catch (error) {
    return { ok: false, message: formatError(explainError(error, config)) };
  } finally {
    await client?.end();
  }
}

async function discover(config: ResolvedConfig, ctx?: DiscoverContext): Promise<Catalog> {
  const client = await connect(config);
  try {
    return await discoverCatalog(client, config, ctx);
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.end();
  }
}

/** `read`'s checks, without reading: what `mage-int check` reports. */
async function preflightRead(config: ResolvedConfig, catalog: Catalog, state: State): Promise<void> {
  const client = await connect(config);
  try {
    await preflight(client, config, selectedStreams(catalog), state ?? emptyState());
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.end();
  }
}

/**
 * FULL_TABLE and INCREMENTAL streams through the source kit (it owns order, SCHEMA, STATE, versions and
 * bookmarks), then the LOG_BASED ones together from one binlog reader.
 */
async function* read(config: ResolvedConfig, catalog: Catalog, state: State, ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  const client = await connect(config);
  try {
    let current = state ?? emptyState();
    const selected = selectedStreams(catalog);
    // Everything a read needs is checked before anything is read (and `check` reports the same).
    let info;
    try {
      info = await preflight(client, config, selected, current);
    } catch (error) {
      throw explainError(error, config);
    }
    const isLogBased = (id: string) => selected.some((s) => s.tap_stream_id === id && replicationMethod(s) === 'LOG_BASED');
    const tableEntries = selected.filter((s) => !isLogBased(s.tap_stream_id));
    const logBased = selected.filter((s) => isLogBased(s.tap_stream_id));
    const env = { client, batchSize: config.batch_size, copyText: ctx.nativeRows?.includes('postgresql-copy-text') ?? false };
    if (tableEntries.length > 0 || logBased.length === 0) {
      const streams: SourceStream[] = [];
      for (const entry of tableEntries) {
        const rk = replicationMethod(entry) === 'INCREMENTAL' ? replicationKey(entry) : undefined;
        try {
          streams.push(tableStream(env, await planTable(client, config, entry, ctx.logger, rk ? [rk] : []), rk));
        } catch (error) {
          throw explainError(error, config, entry.tap_stream_id);
        }
      }
      const tableCatalog: Catalog = { ...catalog, streams: catalog.streams.filter((s) => !isLogBased(s.tap_stream_id)) };
      try {
        for await (const message of readStreams(streams, tableCatalog, current, ctx)) {
          if (message.type === 'STATE') current = message.value as State;
          yield message;
        }
      } catch (error) {
        throw explainError(error, config, current.currently_syncing ?? undefined);
      }
    }
    if (logBased.length > 0 && info) yield* readLogBased(config, client, info, logBased, current, ctx);
  } finally {
    await client.end();
  }
}

/** The config with the spec's defaults filled: the runner validated it already, a direct caller may not have. */
const filled = (config: Config, logger?: Logger): ResolvedConfig =>
  applyMysqlConnKwargs(validateConfig<ResolvedConfig>(spec as JsonSchema, config, 'source mysql'), 'source mysql', logger);

/** The connector object (pipeline files: `source: {name: mysql, config: …}`). */
const source = defineSource<Config>({
  kind: 'source',
  name: 'mysql',
  spec: spec as JsonSchema,
  schemaEnforced: true,
  check: (config, ctx) => check(filled(config, ctx?.logger)),
  discover: (config, ctx) => discover(filled(config, ctx?.logger), ctx),
  read: (config, catalog, state, ctx) => read(filled(config, ctx.logger), catalog, state, ctx),
  operations: {
    preflight: (config, catalog, state) => preflightRead(filled(config), catalog, state),
    keyRanges: (config, stream, count, ctx) => keyRanges(filled(config, ctx.logger), stream, count, ctx),
  },
});
export default source;

/** Programmatic API: `new MySQL({config}).discover()`, `read(catalog, state)`; save the last STATE your destination stored. */
export class MySQL extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
