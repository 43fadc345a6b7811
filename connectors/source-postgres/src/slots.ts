import { ConnectorError, type ConnectorContext, type LogSlot, type State } from '@mage-int/core';
import type pg from 'pg';
import { connect, explainError, ident } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { bookmarkLsn } from './log-session.js';
import { databaseObjectName, resolveSlotNames, type SlotNames } from './slot-names.js';

interface SlotStatusRow {
  active: boolean;
  retained: string | null;
  last_activity: string | null;
}

/** Whether any stream of the state has a position in a slot. */
function statePinsSlot(state: State): boolean {
  return Object.values(state.bookmarks ?? {}).some((b) => bookmarkLsn(b.lsn) !== undefined || bookmarkLsn(b['snapshot_lsn']) !== undefined);
}

async function withNames<T>(
  config: Config,
  state: State,
  ctx: ConnectorContext,
  use: (client: pg.Client, names: SlotNames) => Promise<T>,
): Promise<T> {
  const client = await connect(config, { applicationName: 'mage-int slots' });
  try {
    return await use(client, await resolveSlotNames(client, config, ctx.pipelineId, statePinsSlot(state)));
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.end().catch(() => {});
  }
}

async function slotStatus(client: pg.Client, config: Config, name: string): Promise<Omit<LogSlot, 'note' | 'leftover'> | undefined> {
  // inactive_since exists from PostgreSQL 17 on; to_jsonb reads it without failing on older servers.
  const { rows } = await client.query<SlotStatusRow>(
    `SELECT s.active, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::text AS retained,
       coalesce(to_jsonb(s) ->> 'inactive_since', (SELECT r.reply_time::text FROM pg_stat_replication r WHERE r.pid = s.active_pid)) AS last_activity
     FROM pg_replication_slots s WHERE s.slot_name = $1 AND s.database = $2`,
    [name, config.database],
  );
  const row = rows[0];
  if (!row) return undefined;
  const lastActivity = row.last_activity ? new Date(row.last_activity).toISOString() : undefined;
  return {
    name,
    location: `${config.database} on ${config.host}:${config.port}`,
    active: row.active,
    ...(row.retained !== null ? { retainedBytes: Number(row.retained) } : {}),
    ...(lastActivity ? { lastActivity } : {}),
  };
}

/**
 * The replication slot the pipeline uses, with the WAL it retains (empty when it has none yet); and the per-database
 * slot of earlier versions when the pipeline has moved to its own, so a forgotten one shows up (it keeps WAL).
 */
export function listSlots(config: Config, state: State, ctx: ConnectorContext): Promise<LogSlot[]> {
  return withNames(config, state, ctx, async (client, names) => {
    const slots: LogSlot[] = [];
    const own = await slotStatus(client, config, names.slot);
    if (own)
      slots.push(
        names.origin === 'legacy'
          ? { ...own, note: 'per-database default of earlier versions: other pipelines on this database may use it too' }
          : own,
      );
    const legacy = databaseObjectName(config.database);
    if (names.origin === 'pipeline' && legacy !== names.slot) {
      const old = await slotStatus(client, config, legacy);
      if (old) {
        slots.push({
          ...old,
          leftover: true,
          note: `per-database default of earlier versions, which this pipeline no longer reads; once no pipeline does, drop it: SELECT pg_drop_replication_slot('${legacy}')`,
        });
      }
    }
    return slots;
  });
}

/** Drops the pipeline's replication slot, and its publication when that carries the pipeline's default name. */
export function dropSlots(config: Config, state: State, ctx: ConnectorContext): Promise<string[]> {
  return withNames(config, state, ctx, async (client, names) => {
    const dropped: string[] = [];
    const { rows } = await client.query<{ active: boolean }>(
      `SELECT active FROM pg_replication_slots WHERE slot_name = $1 AND database = $2`,
      [names.slot, config.database],
    );
    if (rows[0]?.active) {
      throw new ConnectorError('REPLICATION_SLOT_IN_USE', `replication slot ${names.slot} is in use by another connection`, {
        hint: 'a run of this pipeline is reading it: stop that run first',
      });
    }
    if (rows[0]) {
      await client.query(`SELECT pg_drop_replication_slot($1)`, [names.slot]);
      dropped.push(`replication slot ${names.slot}`);
      ctx.logger.info(`dropped replication slot ${names.slot}`);
    }
    // A publication named by the pipeline's default is its own; a configured or older shared one may serve others.
    if (names.origin === 'pipeline' && config.publication_name === undefined) {
      const { rowCount } = await client.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [names.publication]);
      if (rowCount) {
        await client.query(`DROP PUBLICATION ${ident(names.publication)}`);
        dropped.push(`publication ${names.publication}`);
      }
    }
    return dropped;
  });
}
