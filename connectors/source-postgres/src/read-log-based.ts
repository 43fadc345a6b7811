import type { CatalogStream, ConnectorContext, SourceMessage } from '@mage-int/core';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { openSession, type LogSession } from './log-session.js';
import { setUpLogRead } from './log-setup.js';
import { snapshotStreams } from './log-snapshot.js';
import { streamChanges } from './log-streaming.js';
import type { ReadEnv } from './read-full-table.js';
import type { SlotNames } from './slot-names.js';
import type { TypeRegistry } from './type-map.js';

export { commitLogPosition } from './log-session.js';

/**
 * LOG_BASED, in three steps: set up (publication, slot: log-setup.ts), snapshots of tables without a position
 * (log-snapshot.ts), then pgoutput changes of all of them on one replication connection (log-streaming.ts). The
 * slot's confirmed position moves only in `commit` (log-session.ts), after the destination stored that state.
 * `preflight` (preflight.ts) has checked keys, permissions and server settings before this runs.
 */
export async function* readLogBased(
  config: Config,
  env: ReadEnv,
  streams: CatalogStream[],
  registry: TypeRegistry,
  names: SlotNames,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const { plans, serverVersion, confirmed } = await setUpLogRead(config, env, streams, names, registry, ctx);
  const session: LogSession = { slot: names.slot, streamIds: plans.map((p) => p.tapStreamId), confirmed };
  openSession(ctx, session);
  yield* snapshotStreams(config, env, plans, confirmed, ctx);
  const follow = ctx.follow === true || config.follow === true;
  yield* streamChanges(config, env, plans, registry, { names, serverVersion, follow, session }, ctx);
}
