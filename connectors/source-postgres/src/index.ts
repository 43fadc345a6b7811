import {
  defineSource,
  emptyState,
  formatError,
  replicationKey,
  replicationMethod,
  selectedStreams,
  SourceClient,
  validateConfig,
  type SourceClientOptions,
  type Catalog,
  type CatalogStream,
  type CheckResult,
  type ConnectorContext,
  type DiscoverContext,
  type JsonSchema,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { configuredSchemas, connect, explainError } from './connection.js';
import { discoverCatalog } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { hasLogPosition } from './log-setup.js';
import { preflight } from './preflight.js';
import { commitLogPosition, readLogBased } from './read-log-based.js';
import { finalizeKeyRanges, readFullTable, readKeyRange, type ReadEnv } from './read-full-table.js';
import { keyRanges } from './key-ranges.js';
import { readIncremental } from './read-incremental.js';
import { resolveSlotNames, type SlotNames } from './slot-names.js';
import { dropSlots, listSlots } from './slots.js';
import { StateTracker } from './state-tracker.js';
import { planTable } from './table-plan.js';
import { pgTypeParsers, TypeRegistry } from './type-map.js';

export type { Config } from './generated/config.js';
export { discoverCatalog } from './discover.js';

async function check(config: ResolvedConfig): Promise<CheckResult> {
  let client;
  try {
    client = await connect(config);
    const { rows } = await client.query<{ version: string; wal_level: string; missing: string[] | null }>(
      `SELECT current_setting('server_version') AS version, current_setting('wal_level') AS wal_level,
         (SELECT array_agg(s) FROM unnest($1::text[]) s WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s)) AS missing`,
      [configuredSchemas(config)],
    );
    const row = rows[0]!;
    if (row.missing && row.missing.length > 0)
      return { ok: false, message: `schema(s) not found in database ${config.database}: ${row.missing.join(', ')}` };
    const cdc =
      row.wal_level === 'logical'
        ? 'LOG_BASED available'
        : `LOG_BASED unavailable (wal_level=${row.wal_level}; set wal_level = logical and restart)`;
    return { ok: true, message: `connected to PostgreSQL ${row.version}; ${cdc}` };
  } catch (error) {
    return { ok: false, message: formatError(explainError(error, config)), error };
  } finally {
    await client?.end().catch(() => {});
  }
}

async function discover(config: ResolvedConfig, ctx?: DiscoverContext): Promise<Catalog> {
  const client = await connect(config);
  try {
    return await discoverCatalog(client, config, ctx);
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The streams in the order they are read: the one interrupted last time first, LOG_BASED ones last (together). */
function readOrder(streams: CatalogStream[], state: State): CatalogStream[] {
  const current = state.currently_syncing;
  return [...streams].sort((a, b) => Number(b.tap_stream_id === current) - Number(a.tap_stream_id === current));
}

/** `read`'s checks, without reading: what `mage-int check` reports. */
async function preflightRead(config: ResolvedConfig, catalog: Catalog, state: State, ctx: ConnectorContext): Promise<void> {
  const client = await connect(config);
  try {
    const selected = selectedStreams(catalog);
    const env = { tracker: new StateTracker(state ?? emptyState()) };
    const logBased = selected.filter((s) => replicationMethod(s) === 'LOG_BASED');
    await preflight(client, config, selected, () => resolveSlotNames(client, config, ctx.pipelineId, hasLogPosition(env, logBased)));
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.end().catch(() => {});
  }
}

async function* read(config: ResolvedConfig, catalog: Catalog, state: State, ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  const registry = new TypeRegistry();
  const client = await connect(config, { types: pgTypeParsers(registry) });
  try {
    await registry.reload(client);
    const tracker = new StateTracker(state ?? emptyState());
    const env: ReadEnv = { client, tracker, batchSize: config.batch_size, signal: ctx.signal };
    const selected = selectedStreams(catalog);
    const logBased = selected.filter((s) => replicationMethod(s) === 'LOG_BASED');
    let names: Promise<SlotNames> | undefined;
    const slotNames = () => (names ??= resolveSlotNames(client, config, ctx.pipelineId, hasLogPosition(env, logBased), ctx.logger));
    // Everything a read needs is checked before anything is read (and `check` reports the same).
    try {
      await preflight(client, config, selected, slotNames);
    } catch (error) {
      throw explainError(error, config);
    }
    for (const stream of readOrder(
      selected.filter((s) => replicationMethod(s) !== 'LOG_BASED'),
      tracker.state,
    )) {
      if (ctx.signal.aborted) return;
      const method = replicationMethod(stream);
      const rk = method === 'INCREMENTAL' ? replicationKey(stream) : undefined;
      try {
        const plan = await planTable(client, stream, registry, ctx.logger, rk ? [rk] : []);
        tracker.syncing(stream.tap_stream_id);
        ctx.logger.info(`syncing ${stream.tap_stream_id} (${method})`);
        const range = ctx.keyRange?.stream === stream.tap_stream_id && method === 'FULL_TABLE' ? ctx.keyRange : undefined;
        if (rk) yield* readIncremental(env, plan, rk);
        else if (range?.finalize) yield* finalizeKeyRanges(env, plan, range);
        else if (range) yield* readKeyRange(env, plan, range);
        else yield* readFullTable(env, plan);
      } catch (error) {
        throw explainError(error, config, stream.tap_stream_id);
      }
    }
    if (logBased.length > 0) yield* readLogBased(config, env, logBased, registry, await slotNames(), ctx);
    tracker.syncing(null);
    yield tracker.message();
  } finally {
    await client.end().catch(() => {});
  }
}

/** The config with the spec's defaults filled: the runner validated it already, a direct caller may not have. */
const filled = (config: Config): ResolvedConfig => validateConfig<ResolvedConfig>(spec as JsonSchema, config, 'source postgres');

/** The connector object (pipeline files: `source: {name: postgres, config: …}`). */
const source = defineSource<Config>({
  kind: 'source',
  name: 'postgres',
  spec: spec as JsonSchema,
  schemaEnforced: true,
  check: (config) => check(filled(config)),
  discover: (config, ctx) => discover(filled(config), ctx),
  read: (config, catalog, state, ctx) => read(filled(config), catalog, state, ctx),
  commit: (config, state, ctx) => commitLogPosition(filled(config), state, ctx),
  operations: {
    preflight: (config, catalog, state, ctx) => preflightRead(filled(config), catalog, state, ctx),
    listSlots: (config, state, ctx) => listSlots(filled(config), state, ctx),
    dropSlots: (config, state, ctx) => dropSlots(filled(config), state, ctx),
    keyRanges: (config, stream, count, ctx) => keyRanges(filled(config), stream, count, ctx),
  },
});
export default source;

/** Programmatic API: `new PostgreSQL({config}).discover()`; `read(catalog, state)`, then `commit(state)` once stored. */
export class PostgreSQL extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
