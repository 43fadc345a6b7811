import type { ConnectorContext, State } from '@mage-int/core';
import type pg from 'pg';
import { connect, explainError } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { formatLsn, parseLsn } from './lsn.js';
import { unrefSocket } from './pg-wire.js';
import type { ReplicationStream } from './replication-stream.js';
import { resolveSlotNames } from './slot-names.js';

/** A finished read keeps its replication connection this long for the commits still to come. */
const LINGER_MS = 30_000;

/** The live replication connection of one read, found again by `commit` through the read's context. */
export interface LogSession {
  slot: string;
  streamIds: string[];
  client?: pg.Client;
  stream?: ReplicationStream;
  /** The highest position confirmed to the server. */
  confirmed: bigint;
  closeTimer?: NodeJS.Timeout;
}

const sessions = new WeakMap<ConnectorContext, LogSession>();
/** Sessions of finished reads still holding their slot (waiting for the last commits), by slot name. */
const lingering = new Map<string, Set<LogSession>>();

/** Registers the session of the read running under `ctx`. */
export function openSession(ctx: ConnectorContext, session: LogSession): void {
  sessions.set(ctx, session);
}

/** Closes the connections earlier reads of this process keep on `slot`, so this read can take it. */
export async function releaseLingering(slot: string): Promise<void> {
  for (const old of lingering.get(slot) ?? []) await closeSession(old);
}

/**
 * After a read: keep the connection a while for the commits of its last states (the runner closes it when the run
 * ends), without keeping the process alive for it.
 */
export function linger(session: LogSession): void {
  session.closeTimer = setTimeout(() => void closeSession(session), LINGER_MS);
  session.closeTimer.unref();
  if (session.client) unrefSocket(session.client);
  const set = lingering.get(session.slot) ?? new Set<LogSession>();
  set.add(session);
  lingering.set(session.slot, set);
}

export async function closeSession(session: LogSession): Promise<void> {
  lingering.get(session.slot)?.delete(session);
  if (session.closeTimer) clearTimeout(session.closeTimer);
  session.closeTimer = undefined;
  const client = session.client;
  session.client = undefined;
  session.stream = undefined;
  if (client) await client.end().catch(() => {});
}

/** A bookmark's `lsn` (or `snapshot_lsn`) as a position. */
export function bookmarkLsn(value: unknown): bigint | undefined {
  return typeof value === 'string' && value.length > 0 ? parseLsn(value) : undefined;
}

/** The lowest `lsn` among the given streams' bookmarks (the slot may not move past any of them). */
function committedPosition(state: State, streamIds: readonly string[] | undefined): bigint | undefined {
  let min: bigint | undefined;
  for (const [id, bookmark] of Object.entries(state.bookmarks ?? {})) {
    if (streamIds && !streamIds.includes(id)) continue;
    const lsn = bookmarkLsn(bookmark.lsn);
    if (lsn === undefined) {
      if (streamIds && bookmark['snapshot_lsn'] !== undefined) return undefined; // a snapshot in progress pins the slot
      continue;
    }
    if (min === undefined || lsn < min) min = lsn;
  }
  return min;
}

/**
 * Acknowledges to the slot that the destination stored everything up to `state`. On the read's live
 * connection this is a standby status update; after the read ended, pg_replication_slot_advance.
 */
export async function commitLogPosition(config: Config, state: State, ctx: ConnectorContext): Promise<void> {
  const session = sessions.get(ctx);
  const target = committedPosition(state, session?.streamIds);
  if (target === undefined) return;
  if (session && target <= session.confirmed) return;
  if (session?.stream && session.client) {
    session.confirmed = target;
    session.stream.sendStatus(target);
    return;
  }
  const client = await connect(config);
  try {
    const slot = session?.slot ?? (await resolveSlotNames(client, config, ctx.pipelineId, true)).slot;
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await client.query<{ confirmed: string | null; active: boolean }>(
          `SELECT confirmed_flush_lsn::text AS confirmed, active FROM pg_replication_slots WHERE slot_name = $1`,
          [slot],
        );
        const row = rows[0];
        if (!row || (row.confirmed && parseLsn(row.confirmed) >= target)) break;
        await client.query(`SELECT pg_replication_slot_advance($1, $2::pg_lsn)`, [slot, formatLsn(target)]);
        break;
      } catch (error) {
        // The walsender of the read that just ended may still hold the slot for a moment.
        if ((error as { code?: string }).code === '55006' && attempt < 50) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw explainError(error, config);
      }
    }
    if (session) session.confirmed = target;
  } finally {
    await client.end().catch(() => {});
  }
}
