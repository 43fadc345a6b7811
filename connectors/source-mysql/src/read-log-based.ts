import type { CatalogStream, ConnectorContext, SourceMessage, State } from '@mage-int/core';
import { StateTracker } from '@mage-int/core';
import { explainError, type MySqlClient } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { snapshotStreams } from './log-snapshot.js';
import { streamChanges } from './log-streaming.js';
import { bookmarkPosition } from './preflight.js';
import { currentPosition, type ServerInfo } from './server-info.js';
import { planTable, type TablePlan } from './table-plan.js';

/**
 * LOG_BASED, in two steps: snapshots of the streams without a binlog position (log-snapshot.ts), then the ROW
 * binlog of all of them from one reader (log-streaming.ts). MySQL keeps no position for a binlog reader: the
 * saved state is the only one, and the runner saves a state only after the destination committed every record
 * before it — so the position advances only with the destination. `preflight` (preflight.ts) has checked the
 * server, the grants and that a saved position can still be continued from.
 */
export async function* readLogBased(
  config: Config,
  client: MySqlClient,
  info: ServerInfo,
  streams: CatalogStream[],
  state: State,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const tracker = new StateTracker(state);
  const batchSize = config.batch_size;
  const plans: TablePlan[] = [];
  for (const entry of streams) {
    try {
      plans.push(await planTable(client, config, entry, ctx.logger, [], true));
    } catch (error) {
      throw explainError(error, config, entry.tap_stream_id);
    }
  }
  const needSnapshot = plans.filter((p) => !bookmarkPosition(tracker.bookmark(p.tapStreamId)));
  yield* snapshotStreams(config, info, tracker, needSnapshot, batchSize, ctx);
  const follow = ctx.follow === true || config.follow === true;
  const end = follow ? undefined : await currentPosition(client);
  yield* streamChanges(config, client, info, tracker, plans, { follow, batchSize, ...(end ? { end } : {}) }, ctx);
}
