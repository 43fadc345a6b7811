import {
  pickKeys,
  startFullTable,
  type ConnectorContext,
  type JsonSchema,
  type RecordData,
  type SourceMessage,
  type StateTracker,
} from '@mage-int/core';
import type { RowDataPacket } from 'mysql2';
import { formatPosition, type BinlogPosition } from './binlog-position.js';
import { connect, explainError, type MySqlClient } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { queryBatches } from './query-rows.js';
import { currentPosition, gtidAt, type ServerInfo } from './server-info.js';
import type { TablePlan } from './table-plan.js';
import { fullTableQuery } from './table-streams.js';

export const SDC_DELETED_AT = '_sdc_deleted_at';
export const SDC_BINLOG_POS = '_sdc_binlog_pos';
export const SDC_GTID = '_sdc_gtid';
export const SDC_PROPERTIES: Record<string, JsonSchema> = {
  [SDC_DELETED_AT]: { type: ['null', 'string'], format: 'date-time' },
  [SDC_BINLOG_POS]: { type: ['null', 'string'] },
  [SDC_GTID]: { type: ['null', 'string'] },
};

/** A plan's schema with the change metadata columns. */
export function logSchema(plan: TablePlan): JsonSchema {
  return { ...plan.schema, properties: { ...plan.schema.properties, ...SDC_PROPERTIES } };
}

/** Where a snapshot lies in the binlog: replaying the binlog from here onto the snapshot converges. */
export interface SnapshotPoint {
  position: BinlogPosition;
  gtid?: string;
}

/**
 * Opens a consistent snapshot tied to an exact binlog position. MariaDB: `START TRANSACTION WITH CONSISTENT
 * SNAPSHOT` reports the binlog position of that very snapshot (binlog_snapshot_file/position), no lock needed.
 * MySQL: the position is read before the snapshot starts, so it is at or before it; the changes in between are
 * replayed onto rows that already hold them (upserts and deletes by key converge).
 */
async function openSnapshot(client: MySqlClient, info: ServerInfo): Promise<SnapshotPoint> {
  let before: BinlogPosition | undefined;
  let gtidBefore: string | undefined;
  if (info.engine === 'mysql') {
    before = await currentPosition(client);
    gtidBefore = await gtidAt(client, info, before);
  }
  await client.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await client.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  if (before) return { position: before, ...(gtidBefore !== undefined ? { gtid: gtidBefore } : {}) };
  const rows = await client.query<RowDataPacket>(`SHOW STATUS LIKE 'binlog_snapshot_%'`);
  const value = (name: string) => rows.find((r) => String(r['Variable_name']).toLowerCase() === name)?.['Value'];
  const position = { file: String(value('binlog_snapshot_file')), pos: Number(value('binlog_snapshot_position')) };
  const gtid = await gtidAt(client, info, position);
  return { position, ...(gtid !== undefined ? { gtid } : {}) };
}

/** The bookmark fields that pin a stream to a binlog position on this server. */
export function positionBookmark(point: SnapshotPoint, info: ServerInfo, prefix = ''): Record<string, unknown> {
  return {
    [`${prefix}binlog_file`]: point.position.file,
    [`${prefix}binlog_pos`]: point.position.pos,
    [`${prefix}gtid`]: point.gtid,
    server_id: info.serverId,
    ...(info.serverUuid ? { server_uuid: info.serverUuid } : {}),
  };
}

/** A saved snapshot point (`snapshot_binlog_file` …) of an interrupted snapshot. */
function savedSnapshot(bookmark: Record<string, unknown>): SnapshotPoint | undefined {
  const file = bookmark['snapshot_binlog_file'];
  const pos = bookmark['snapshot_binlog_pos'];
  const gtid = bookmark['snapshot_gtid'];
  if (typeof file !== 'string' || typeof pos !== 'number') return undefined;
  return { position: { file, pos }, ...(typeof gtid === 'string' ? { gtid } : {}) };
}

/**
 * Snapshots of the streams without a binlog position, in one consistent snapshot: each a full copy in key order
 * under a new version (ACTIVATE_VERSION at the end drops rows deleted before it), every row stamped with the
 * snapshot's binlog position, and then the stream's position is the snapshot's. An interrupted snapshot resumes
 * after `last_pk_fetched` (in a new snapshot) but keeps its first snapshot's position, so the binlog replayed
 * from there converges the copy.
 */
export async function* snapshotStreams(
  config: Config,
  info: ServerInfo,
  tracker: StateTracker,
  plans: readonly TablePlan[],
  batchSize: number,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  if (plans.length === 0) return;
  const client = await connect(config);
  try {
    const point = await openSnapshot(client, info);
    for (const plan of plans) {
      const id = plan.tapStreamId;
      const bookmark = tracker.bookmark(id);
      const resumed = savedSnapshot(bookmark);
      const at = resumed ?? point;
      const start = startFullTable(resumed ? bookmark : { ...bookmark, last_pk_fetched: undefined }, plan.keys);
      tracker.set(id, {
        ...positionBookmark(at, info, 'snapshot_'),
        binlog_file: undefined,
        binlog_pos: undefined,
        gtid: undefined,
        version: start.version,
        last_pk_fetched: start.resumeAfter,
      });
      tracker.syncing(id);
      ctx.logger.info(
        `snapshot of ${id} at binlog ${formatPosition(at.position)}${at.gtid ? ` (GTID ${at.gtid})` : ''}${start.resumeAfter ? ', resumed' : ''}`,
      );
      yield { type: 'SCHEMA', stream: plan.stream, schema: logSchema(plan), key_properties: plan.keys };
      if (start.firstSync) yield { type: 'ACTIVATE_VERSION', stream: plan.stream, version: start.version };
      const sql = fullTableQuery(plan, start.resumeAfter);
      const pos = formatPosition(at.position);
      try {
        for await (const { records } of queryBatches(client, plan, sql, [], batchSize, ctx.signal)) {
          for (const record of records) {
            record[SDC_DELETED_AT] = null;
            record[SDC_BINLOG_POS] = pos;
            record[SDC_GTID] = at.gtid ?? null;
          }
          yield { type: 'RECORD_BATCH', stream: plan.stream, records, version: start.version };
          if (plan.keys.length > 0) {
            tracker.set(id, { last_pk_fetched: pickKeys(records[records.length - 1] as RecordData, plan.keys) });
            yield tracker.message();
          }
        }
      } catch (error) {
        throw explainError(error, config, id);
      }
      yield { type: 'ACTIVATE_VERSION', stream: plan.stream, version: start.version };
      tracker.set(id, {
        ...positionBookmark(at, info),
        snapshot_binlog_file: undefined,
        snapshot_binlog_pos: undefined,
        snapshot_gtid: undefined,
        last_pk_fetched: undefined,
      });
      tracker.syncing(null);
      yield tracker.message();
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
