import { ConnectorError, type CatalogStream, type ConnectorContext } from '@mage-int/core';
import type pg from 'pg';
import { explainError, ident, qualified } from './connection.js';
import type { Config } from './generated/config.js';
import { bookmarkLsn, releaseLingering } from './log-session.js';
import { formatLsn, parseLsn } from './lsn.js';
import { checkReplicationServer } from './preflight.js';
import type { ReadEnv } from './read-full-table.js';
import type { SlotNames } from './slot-names.js';
import { planTable, type TablePlan } from './table-plan.js';
import type { TypeRegistry } from './type-map.js';

interface SlotRow {
  slot_name: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  confirmed_flush_lsn: string | null;
  wal_status: string | null;
}

/** Creates the publication, or adds the streams' tables to it, so pgoutput sends their changes. */
async function ensurePublication(
  client: pg.Client,
  name: string,
  plans: readonly TablePlan[],
  serverVersion: number,
  ctx: ConnectorContext,
): Promise<void> {
  const { rows } = await client.query<{ puballtables: boolean; pubviaroot: boolean | null }>(
    `SELECT puballtables, ${serverVersion >= 130000 ? 'pubviaroot' : 'NULL::boolean AS pubviaroot'} FROM pg_publication WHERE pubname = $1`,
    [name],
  );
  const tables = plans.map((p) => qualified(p.schemaName, p.tableName));
  const publication = rows[0];
  if (!publication) {
    const viaRoot = serverVersion >= 130000 ? ' WITH (publish_via_partition_root = true)' : '';
    ctx.logger.info(`creating publication ${name}`);
    await client.query(`CREATE PUBLICATION ${ident(name)} FOR TABLE ${tables.join(', ')}${viaRoot}`);
    return;
  }
  if (serverVersion >= 130000 && plans.some((p) => p.relkind === 'p') && !publication.pubviaroot) {
    throw new ConnectorError(
      'PUBLICATION_NOT_VIA_ROOT',
      `publication ${name} publishes partitions under their own names, so changes of partitioned tables would not reach their streams`,
      {
        hint: `ALTER PUBLICATION ${ident(name)} SET (publish_via_partition_root = true);`,
      },
    );
  }
  if (publication.puballtables) return;
  const { rows: members } = await client.query<{ oid: number }>(
    `SELECT prrelid::int AS oid FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = $1`,
    [name],
  );
  const have = new Set(members.map((m) => m.oid));
  const missing = plans.filter((p) => !have.has(p.oid));
  if (missing.length === 0) return;
  const list = missing.map((p) => qualified(p.schemaName, p.tableName)).join(', ');
  ctx.logger.info(`adding ${missing.length} table(s) to publication ${name}`);
  try {
    await client.query(`ALTER PUBLICATION ${ident(name)} ADD TABLE ${list}`);
  } catch (error) {
    throw new ConnectorError(
      'PUBLICATION_ALTER_FAILED',
      `cannot add ${missing.map((p) => p.tapStreamId).join(', ')} to publication ${name}: ${(error as Error).message}`,
      {
        hint: `as the publication's owner run: ALTER PUBLICATION ${ident(name)} ADD TABLE ${list}`,
        cause: error,
      },
    );
  }
}

/** The slot, created when missing; fails clearly when it is lost, busy or of another kind. */
async function ensureSlot(client: pg.Client, config: Config, name: string, mustExist: boolean, ctx: ConnectorContext): Promise<bigint> {
  const { rows } = await client.query<SlotRow>(
    `SELECT slot_name, plugin, database, active, confirmed_flush_lsn::text AS confirmed_flush_lsn, wal_status FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  const slot = rows[0];
  if (!slot) {
    if (mustExist) {
      throw new ConnectorError(
        'REPLICATION_SLOT_LOST',
        `replication slot ${name} does not exist, but the state has a position in it: changes since then are lost`,
        {
          hint: 'run once with --full-refresh for the LOG_BASED streams (a new slot and snapshot are made), or restore the slot',
        },
      );
    }
    ctx.logger.info(`creating replication slot ${name}`);
    const { rows: created } = await client.query<{ lsn: string }>(
      `SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`,
      [name],
    );
    return parseLsn(created[0]!.lsn);
  }
  if (slot.plugin !== 'pgoutput' || slot.database !== config.database) {
    throw new ConnectorError(
      'REPLICATION_SLOT_MISMATCH',
      `replication slot ${name} belongs to database ${slot.database ?? '(physical)'} with plugin ${slot.plugin ?? 'none'}`,
      {
        hint: 'set `replication_slot` to a name of its own; the slot must be a pgoutput slot of this database',
      },
    );
  }
  if (slot.wal_status === 'lost') {
    throw new ConnectorError('REPLICATION_SLOT_LOST', `replication slot ${name} lost the WAL it needed (max_slot_wal_keep_size exceeded)`, {
      hint: `drop it (SELECT pg_drop_replication_slot('${name}')) and run once with --full-refresh for the LOG_BASED streams`,
    });
  }
  if (slot.active) {
    throw new ConnectorError('REPLICATION_SLOT_IN_USE', `replication slot ${name} is in use by another connection`, {
      hint: 'another run of this pipeline (or another tool) reads this slot: wait for it to finish or stop it',
    });
  }
  return parseLsn(slot.confirmed_flush_lsn ?? '0/0');
}

/** Waits (briefly) until no connection holds the slot: a walsender whose client just left may linger. */
async function waitForSlotRelease(client: pg.Client, slot: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { rows } = await client.query<{ active: boolean }>(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
    if (!rows[0]?.active) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a LOG_BASED read streams from once set up. */
export interface LogSetup {
  plans: TablePlan[];
  serverVersion: number;
  /** The slot's confirmed position when the read started. */
  confirmed: bigint;
}

/** Whether any of the streams has a saved position in the slot. */
export function hasLogPosition(env: Pick<ReadEnv, 'tracker'>, streams: readonly CatalogStream[]): boolean {
  return streams.some((s) => bookmarkLsn(env.tracker.bookmark(s.tap_stream_id).lsn) !== undefined);
}

/**
 * Plans the tables, makes sure the publication has them and the slot exists and is free, and checks that no
 * stream's saved position is behind the slot (which would mean changes were confirmed without being stored).
 */
export async function setUpLogRead(
  config: Config,
  env: ReadEnv,
  streams: readonly CatalogStream[],
  names: SlotNames,
  registry: TypeRegistry,
  ctx: ConnectorContext,
): Promise<LogSetup> {
  const client = env.client;
  const { version: serverVersion } = await checkReplicationServer(client, config);
  const plans: TablePlan[] = [];
  for (const stream of streams) {
    try {
      plans.push(await planTable(client, stream, registry, ctx.logger));
    } catch (error) {
      throw explainError(error, config, stream.tap_stream_id);
    }
  }
  await releaseLingering(names.slot);
  await waitForSlotRelease(client, names.slot);
  await ensurePublication(client, names.publication, plans, serverVersion, ctx);
  const confirmed = await ensureSlot(client, config, names.slot, hasLogPosition(env, streams), ctx);
  for (const plan of plans) {
    const lsn = bookmarkLsn(env.tracker.bookmark(plan.tapStreamId).lsn);
    if (lsn !== undefined && lsn < confirmed) {
      throw new ConnectorError(
        'REPLICATION_SLOT_AHEAD',
        `replication slot ${names.slot} is at ${formatLsn(confirmed)}, past this stream's saved position ${formatLsn(lsn)}`,
        {
          stream: plan.tapStreamId,
          hint: 'another pipeline (or an older state) uses the same slot: give each pipeline its own `replication_slot` (the default is per pipeline), or run with --full-refresh',
        },
      );
    }
  }
  return { plans, serverVersion, confirmed };
}
