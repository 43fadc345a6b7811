import type { ConnectorContext, JsonSchema, SourceMessage } from '@mage-int/core';
import { explainError } from './connection.js';
import type { Config } from './generated/config.js';
import { bookmarkLsn } from './log-session.js';
import { formatLsn, lsnValue } from './lsn.js';
import { readFullTable, type ReadEnv } from './read-full-table.js';
import type { TablePlan } from './table-plan.js';

export const SDC_LSN = '_sdc_lsn';
export const SDC_DELETED_AT = '_sdc_deleted_at';
export const SDC_PROPERTIES: Record<string, JsonSchema> = {
  [SDC_LSN]: { type: ['null', 'integer'] },
  [SDC_DELETED_AT]: { type: ['null', 'string'], format: 'date-time' },
};

/** A plan's schema with the change metadata columns. */
export function logSchema(plan: TablePlan): JsonSchema {
  return { ...plan.schema, properties: { ...plan.schema.properties, ...SDC_PROPERTIES } };
}

/**
 * Snapshots of the streams without a position, and of those whose snapshot was interrupted: a FULL_TABLE copy
 * (resumable by key) taken after the slot's confirmed position was read, so replaying the slot from there onto it
 * converges. Each snapshot row carries the slot position it was taken at as `_sdc_lsn`.
 */
export async function* snapshotStreams(
  config: Config,
  env: ReadEnv,
  plans: readonly TablePlan[],
  confirmed: bigint,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  for (const plan of plans) {
    const bookmark = env.tracker.bookmark(plan.tapStreamId);
    if (bookmarkLsn(bookmark.lsn) !== undefined && bookmark.last_pk_fetched === undefined) continue;
    const resumed = bookmarkLsn(bookmark['snapshot_lsn']);
    const start = resumed ?? confirmed;
    // A new snapshot starts from scratch: a half-done copy of another method was read before the slot's position.
    env.tracker.set(plan.tapStreamId, {
      snapshot_lsn: formatLsn(start),
      lsn: undefined,
      ...(resumed === undefined ? { last_pk_fetched: undefined, version: undefined } : {}),
    });
    env.tracker.syncing(plan.tapStreamId);
    ctx.logger.info(`snapshot of ${plan.tapStreamId} (changes from ${formatLsn(start)} follow from the slot)`);
    const lsnOfSnapshot = lsnValue(start);
    try {
      yield* readFullTable(
        env,
        { ...plan, schema: logSchema(plan) },
        {
          decorate: (record) => {
            record[SDC_LSN] = lsnOfSnapshot;
            record[SDC_DELETED_AT] = null;
          },
          onComplete: { lsn: formatLsn(start), snapshot_lsn: undefined },
        },
      );
    } catch (error) {
      throw explainError(error, config, plan.tapStreamId);
    }
  }
  env.tracker.syncing(null);
}
