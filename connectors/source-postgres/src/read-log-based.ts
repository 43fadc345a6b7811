import { randomBytes } from 'node:crypto';
import {
  ConnectorError,
  getMetadata,
  isFieldSelected,
  type CatalogStream,
  type ConnectorContext,
  type JsonSchema,
  type RecordData,
  type SourceMessage,
  type State,
  stringifyExactJson,
} from '@mage-int/core';
import type pg from 'pg';
import { connect, explainError, ident, literal, publicationName, qualified, slotName } from './connection.js';
import type { Config } from './generated/config.js';
import { formatLsn, lsnValue, parseLsn } from './lsn.js';
import { decodePgOutput, type RelationMessage, type TupleValue } from './pgoutput.js';
import { readFullTable, valueLiteral, type ReadEnv } from './read-full-table.js';
import { ReplicationStream } from './replication-stream.js';
import { planTable, type TablePlan } from './table-plan.js';
import { columnSchema, type TypeRegistry } from './type-map.js';

export const SDC_LSN = '_sdc_lsn';
export const SDC_DELETED_AT = '_sdc_deleted_at';
const SDC_PROPERTIES: Record<string, JsonSchema> = {
  [SDC_LSN]: { type: ['null', 'integer'] },
  [SDC_DELETED_AT]: { type: ['null', 'string'], format: 'date-time' },
};
const MARKER_PREFIX = 'mage-int:end';
/** How often the live connection reports the committed position even without a new commit. */
const STATUS_INTERVAL_MS = 10_000;
/** Flush buffered changes at least this often, so destinations see a steady stream. */
const FLUSH_INTERVAL_MS = 1_000;
/** A finished read keeps its replication connection this long for the commits still to come. */
const LINGER_MS = 30_000;

/** The live replication connection of one read, found again by `commit` through the read's context. */
interface LogSession {
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

interface SlotRow {
  slot_name: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  confirmed_flush_lsn: string | null;
  wal_status: string | null;
}

/** Fails with a fix when the server cannot do logical replication. */
async function checkServer(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ wal_level: string; version: string; rolreplication: boolean; rolsuper: boolean }>(
    // Managed services grant replication through a role (RDS: rds_replication) rather than the attribute.
    `SELECT current_setting('wal_level') AS wal_level, current_setting('server_version_num') AS version,
       r.rolreplication OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
         WHERE m.member = r.oid AND (g.rolreplication OR g.rolname IN ('rds_replication', 'rds_superuser'))) AS rolreplication,
       r.rolsuper
     FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0]!;
  if (row.wal_level !== 'logical') {
    throw new ConnectorError('WAL_LEVEL_NOT_LOGICAL', `LOG_BASED replication needs wal_level = logical, the server has ${row.wal_level}`, {
      hint: 'run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (managed services: enable logical replication in the parameter group)',
    });
  }
  if (!row.rolreplication && !row.rolsuper) {
    throw new ConnectorError('REPLICATION_PERMISSION_MISSING', 'the user may not use replication slots (no REPLICATION attribute)', {
      hint: 'ALTER ROLE <user> WITH REPLICATION; (on RDS: GRANT rds_replication TO <user>)',
    });
  }
  return Number(row.version);
}

/** Creates the publication, or adds the streams' tables to it, so pgoutput sends their changes. */
async function ensurePublication(client: pg.Client, name: string, plans: readonly TablePlan[], serverVersion: number, ctx: ConnectorContext): Promise<void> {
  const { rows } = await client.query<{ puballtables: boolean }>(`SELECT puballtables FROM pg_publication WHERE pubname = $1`, [name]);
  const tables = plans.map((p) => qualified(p.schemaName, p.tableName));
  if (rows.length === 0) {
    const viaRoot = serverVersion >= 130000 ? ' WITH (publish_via_partition_root = true)' : '';
    ctx.logger.info(`creating publication ${name}`);
    await client.query(`CREATE PUBLICATION ${ident(name)} FOR TABLE ${tables.join(', ')}${viaRoot}`);
    return;
  }
  if (serverVersion >= 130000 && plans.some((p) => p.relkind === 'p')) {
    const { rows: via } = await client.query<{ pubviaroot: boolean }>(`SELECT pubviaroot FROM pg_publication WHERE pubname = $1`, [name]);
    if (!via[0]?.pubviaroot) {
      throw new ConnectorError('PUBLICATION_NOT_VIA_ROOT', `publication ${name} publishes partitions under their own names, so changes of partitioned tables would not reach their streams`, {
        hint: `ALTER PUBLICATION ${ident(name)} SET (publish_via_partition_root = true);`,
      });
    }
  }
  if (rows[0]!.puballtables) return;
  const { rows: members } = await client.query<{ oid: number }>(`SELECT prrelid::int AS oid FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = $1`, [name]);
  const have = new Set(members.map((m) => m.oid));
  const missing = plans.filter((p) => !have.has(p.oid));
  if (missing.length === 0) return;
  ctx.logger.info(`adding ${missing.length} table(s) to publication ${name}`);
  try {
    await client.query(`ALTER PUBLICATION ${ident(name)} ADD TABLE ${missing.map((p) => qualified(p.schemaName, p.tableName)).join(', ')}`);
  } catch (error) {
    throw new ConnectorError('PUBLICATION_ALTER_FAILED', `cannot add ${missing.map((p) => p.tapStreamId).join(', ')} to publication ${name}: ${(error as Error).message}`, {
      hint: `as the publication's owner run: ALTER PUBLICATION ${ident(name)} ADD TABLE ${missing.map((p) => qualified(p.schemaName, p.tableName)).join(', ')}`,
      cause: error,
    });
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
      throw new ConnectorError('REPLICATION_SLOT_LOST', `replication slot ${name} does not exist, but the state has a position in it: changes since then are lost`, {
        hint: 'run once with --full-refresh for the LOG_BASED streams (a new slot and snapshot are made), or restore the slot',
      });
    }
    ctx.logger.info(`creating replication slot ${name}`);
    const { rows: created } = await client.query<{ lsn: string }>(`SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
    return parseLsn(created[0]!.lsn);
  }
  if (slot.plugin !== 'pgoutput' || slot.database !== config.database) {
    throw new ConnectorError('REPLICATION_SLOT_MISMATCH', `replication slot ${name} belongs to database ${slot.database ?? '(physical)'} with plugin ${slot.plugin ?? 'none'}`, {
      hint: 'set `replication_slot` to a name of its own; the slot must be a pgoutput slot of this database',
    });
  }
  if (slot.wal_status === 'lost') {
    throw new ConnectorError('REPLICATION_SLOT_LOST', `replication slot ${name} lost the WAL it needed (max_slot_wal_keep_size exceeded)`, {
      hint: `drop it (SELECT pg_drop_replication_slot('${name}')) and run once with --full-refresh for the LOG_BASED streams`,
    });
  }
  if (slot.active) {
    throw new ConnectorError('REPLICATION_SLOT_IN_USE', `replication slot ${name} is in use by another connection`, {
      hint: 'another pipeline run (or tool) reads this slot: wait for it to finish or stop it, or give this pipeline its own `replication_slot`',
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

/**
 * Tables need a replica identity before they join a publication: without one PostgreSQL refuses their
 * UPDATEs and DELETEs, which would break the application writing to them.
 */
async function checkReplicaIdentity(client: pg.Client, plans: readonly TablePlan[]): Promise<void> {
  const { rows } = await client.query<{ oid: number; ident: string; has_pk: boolean }>(
    `SELECT c.oid::int AS oid, c.relreplident AS ident, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
     FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [plans.map((p) => p.oid)],
  );
  for (const row of rows) {
    const plan = plans.find((p) => p.oid === row.oid)!;
    if (row.ident === 'n' || (row.ident === 'd' && !row.has_pk && plan.relkind !== 'p')) {
      throw new ConnectorError('REPLICA_IDENTITY_MISSING', `${qualified(plan.schemaName, plan.tableName)} has no replica identity (no primary key), so its updates and deletes cannot be replicated`, {
        stream: plan.tapStreamId,
        hint: `add a primary key, or run ALTER TABLE ${qualified(plan.schemaName, plan.tableName)} REPLICA IDENTITY FULL; (or use FULL_TABLE/INCREMENTAL for it)`,
      });
    }
  }
}

/** Per-stream decoding state while streaming. */
interface LiveStream {
  plan: TablePlan;
  version: number;
  /** Changes committed at or before this position are already in the destination. */
  from: bigint;
  /** Relation layout last seen, and the schema emitted for it. */
  relation?: RelationMessage;
  columns?: { name: string; index: number; isKey: boolean; parse: (text: string) => unknown }[];
  schemaSignature?: string;
  pending: RecordData[];
  /** Records whose unchanged TOAST values must be looked up before they leave. */
  toastHoles: { record: RecordData; fields: string[] }[];
}

function bookmarkLsn(value: unknown): bigint | undefined {
  return typeof value === 'string' && value.length > 0 ? parseLsn(value) : undefined;
}

/** Whether a field was explicitly deselected (new columns are selected: they appear in a new SCHEMA). */
function deselected(stream: CatalogStream, field: string): boolean {
  const md = getMetadata(stream, ['properties', field]);
  return Object.keys(md).length > 0 && !isFieldSelected(stream, field);
}

/**
 * LOG_BASED: tables without a position get a snapshot (COPY, resumable by key) taken after the slot's
 * confirmed position, so replaying the slot from there onto it converges; then the slot streams pgoutput
 * changes for all of them on one connection. A bounded run stops at a marker written into the WAL when the
 * run started; `follow: true` streams until cancelled. STATE carries `lsn` per stream; the slot's confirmed
 * position moves only in `commit`, after the destination stored that state.
 */
export async function* readLogBased(config: Config, env: ReadEnv, streams: CatalogStream[], registry: TypeRegistry, ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  const client = env.client;
  const slot = slotName(config);
  const publication = publicationName(config);
  const serverVersion = await checkServer(client);

  const plans: TablePlan[] = [];
  for (const stream of streams) {
    const md = getMetadata(stream);
    if (md['is-view'] === true || md['log-based-unsupported'] === true) {
      throw new ConnectorError('LOG_BASED_UNSUPPORTED', 'views and foreign tables have no change log: LOG_BASED is not possible', {
        stream: stream.tap_stream_id,
        hint: 'use FULL_TABLE or INCREMENTAL for this stream',
      });
    }
    try {
      plans.push(await planTable(client, stream, registry, ctx.logger));
    } catch (error) {
      throw explainError(error, config, stream.tap_stream_id);
    }
  }
  for (const old of lingering.get(slot) ?? []) await closeSession(old);
  await waitForSlotRelease(client, slot);
  await checkReplicaIdentity(client, plans);
  const hasPosition = plans.some((p) => bookmarkLsn(env.tracker.bookmark(p.tapStreamId).lsn) !== undefined);
  await ensurePublication(client, publication, plans, serverVersion, ctx);
  const confirmed = await ensureSlot(client, config, slot, hasPosition, ctx);
  const session: LogSession = { slot, streamIds: plans.map((p) => p.tapStreamId), confirmed };
  sessions.set(ctx, session);

  for (const plan of plans) {
    const bookmark = env.tracker.bookmark(plan.tapStreamId);
    const lsn = bookmarkLsn(bookmark.lsn);
    if (lsn !== undefined && lsn < confirmed) {
      throw new ConnectorError('REPLICATION_SLOT_AHEAD', `replication slot ${slot} is at ${formatLsn(confirmed)}, past this stream's saved position ${formatLsn(lsn)}`, {
        stream: plan.tapStreamId,
        hint: 'another pipeline (or an older state) uses the same slot; give each pipeline its own `replication_slot`, or run with --full-refresh',
      });
    }
  }

  // Snapshots: new streams, and streams whose snapshot was interrupted.
  const liveSchema = (plan: TablePlan): JsonSchema => ({ ...plan.schema, properties: { ...plan.schema.properties, ...SDC_PROPERTIES } });
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
      yield* readFullTable(env, { ...plan, schema: liveSchema(plan) }, {
        decorate: (record) => {
          record[SDC_LSN] = lsnOfSnapshot;
          record[SDC_DELETED_AT] = null;
        },
        onComplete: { lsn: formatLsn(start), snapshot_lsn: undefined },
      });
    } catch (error) {
      throw explainError(error, config, plan.tapStreamId);
    }
  }
  env.tracker.syncing(null);

  const live = new Map<string, LiveStream>();
  for (const plan of plans) {
    const bookmark = env.tracker.bookmark(plan.tapStreamId);
    live.set(plan.tapStreamId, { plan, version: bookmark.version ?? Date.now(), from: bookmarkLsn(bookmark.lsn) ?? confirmed, pending: [], toastHoles: [] });
  }
  const startAt = [...live.values()].reduce((min, s) => (s.from < min ? s.from : min), [...live.values()][0]!.from);

  // The end of a bounded run: a marker message written into the WAL now.
  let marker: { prefix: string; lsn: bigint } | undefined;
  if (!config.follow) {
    const prefix = `${MARKER_PREFIX}:${randomBytes(6).toString('hex')}`;
    try {
      const { rows } = await client.query<{ lsn: string }>(`SELECT pg_logical_emit_message(false, $1, '')::text AS lsn`, [prefix]);
      marker = { prefix, lsn: parseLsn(rows[0]!.lsn) };
    } catch {
      const { rows } = await client.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
      marker = { prefix: '', lsn: parseLsn(rows[0]!.lsn) };
    }
  }

  const replication = await connect(config, { replication: true, applicationName: `mage-int ${slot}` });
  const stream = new ReplicationStream(
    `START_REPLICATION SLOT ${ident(slot)} LOGICAL ${formatLsn(startAt)} (proto_version '1', publication_names ${literal(ident(publication))}${serverVersion >= 140000 ? `, messages 'true'` : ''})`,
  );
  replication.on('error', (error: Error) => stream.fail(error));
  replication.on('end', () => stream.fail(new Error('replication connection closed')));
  session.client = replication;
  session.stream = stream;
  if (session.closeTimer) clearTimeout(session.closeTimer);
  ctx.signal.addEventListener('abort', () => void closeSession(session), { once: true });
  stream.start(replication);
  // The state this read started from is one a destination committed (the runner, or a Singer orchestrator,
  // passes the last committed state), so the slot may move up to it now: this is what releases WAL when the
  // tap runs under an orchestrator that never calls commit().
  if (startAt > session.confirmed) {
    session.confirmed = startAt;
    stream.sendStatus(startAt);
  }

  const byOid = new Map<number, LiveStream>();
  const relations = new Map<number, RelationMessage>();
  let inTransaction = false;
  let txnLsn = 0n;
  let txnTime = 0n;
  let lastStateAt = Date.now();
  let lastStatusAt = Date.now();
  let lastPosition = startAt;
  let dirty = false;
  let keepaliveAsked = 0;
  const heartbeatMs = (config.heartbeat_seconds ?? 10) * 1000;

  const flush = async function* (all: boolean): AsyncGenerator<SourceMessage> {
    for (const s of live.values()) {
      if (s.pending.length === 0 || (!all && s.pending.length < env.batchSize)) continue;
      if (s.toastHoles.length > 0) await fillToast(client, s);
      yield { type: 'RECORD_BATCH', stream: s.plan.stream, records: s.pending, version: s.version };
      s.pending = [];
    }
  };
  const advance = (position: bigint) => {
    lastPosition = position;
    const text = formatLsn(position);
    for (const s of live.values()) if (position > s.from) env.tracker.set(s.plan.tapStreamId, { lsn: text });
  };

  try {
    for (;;) {
      if (ctx.signal.aborted) return;
      let wal;
      try {
        wal = await stream.next(Math.min(FLUSH_INTERVAL_MS, heartbeatMs));
      } catch (error) {
        if (ctx.signal.aborted) return; // cancelled: closing the connection ended the stream
        throw explainError(error, config);
      }
      const now = Date.now();
      if (now - lastStatusAt >= STATUS_INTERVAL_MS) {
        stream.sendStatus(session.confirmed);
        lastStatusAt = now;
      }
      if (wal === null) throw new ConnectorError('REPLICATION_ENDED', 'the server ended the replication stream', { hint: 'run again; the stream resumes from the last committed position' });
      if (wal === undefined) {
        // Idle: send what is buffered, then learn how far the server has decoded.
        if (!inTransaction && dirty) {
          yield* flush(true);
          yield env.tracker.message();
          dirty = false;
          lastStateAt = now;
        }
        if (!inTransaction && now - keepaliveAsked >= (marker ? FLUSH_INTERVAL_MS : heartbeatMs)) {
          keepaliveAsked = now;
          stream.sendStatus(session.confirmed, true);
        }
        continue;
      }
      if (wal.kind === 'keepalive') {
        if (wal.replyRequested) stream.sendStatus(session.confirmed);
        if (!inTransaction && wal.walEnd > lastPosition) {
          // Nothing of ours up to walEnd: move the bookmark so an idle slot does not hold WAL.
          const reachedEnd = marker !== undefined && wal.walEnd >= marker.lsn;
          if (reachedEnd || now - lastStateAt >= heartbeatMs || marker) {
            advance(reachedEnd ? marker!.lsn : wal.walEnd);
            yield* flush(true);
            yield env.tracker.message();
            dirty = false;
            lastStateAt = now;
          }
          if (reachedEnd) return;
        }
        continue;
      }
      const message = decodePgOutput(wal.data);
      switch (message.tag) {
        case 'begin':
          inTransaction = true;
          txnLsn = message.finalLsn;
          txnTime = message.commitTime;
          break;
        case 'commit':
          inTransaction = false;
          advance(message.endLsn);
          dirty = true;
          if (now - lastStateAt >= FLUSH_INTERVAL_MS || [...live.values()].some((s) => s.pending.length >= env.batchSize)) {
            yield* flush(true);
            yield env.tracker.message();
            dirty = false;
            lastStateAt = now;
          }
          break;
        case 'relation': {
          relations.set(message.oid, message);
          const s = live.get(`${message.namespace}-${message.name}`);
          if (!s) break;
          byOid.set(message.oid, s);
          const schemaMessage = await relationSchema(client, registry, s, message);
          if (schemaMessage) {
            yield* flush(true);
            yield schemaMessage;
          }
          break;
        }
        case 'type':
          if (!registry.has(message.oid)) await registry.reload(client);
          break;
        case 'insert':
        case 'update':
        case 'delete': {
          const s = byOid.get(message.relation);
          if (!s || txnLsn < s.from) break;
          const record = changeRecord(s, message, txnLsn, txnTime);
          s.pending.push(record);
          if (s.pending.length >= env.batchSize * 2) yield* flush(false);
          break;
        }
        case 'truncate': {
          for (const oid of message.relations) {
            const s = byOid.get(oid);
            if (!s || txnLsn < s.from) continue;
            yield* flush(true);
            s.version = Date.now();
            env.tracker.set(s.plan.tapStreamId, { version: s.version });
            // A new version with no rows: destinations remove every older row.
            yield { type: 'ACTIVATE_VERSION', stream: s.plan.stream, version: s.version };
          }
          break;
        }
        case 'message':
          if (marker && message.prefix === marker.prefix) {
            advance(marker.lsn > lastPosition ? marker.lsn : lastPosition);
            yield* flush(true);
            yield env.tracker.message();
            return;
          }
          break;
        default:
          break;
      }
    }
  } finally {
    if (ctx.signal.aborted) await closeSession(session);
    else {
      // Keep the connection a while for the commits of this read's last states (the runner closes it when
      // the run ends), without keeping the process alive for it.
      session.closeTimer = setTimeout(() => void closeSession(session), LINGER_MS);
      session.closeTimer.unref();
      (replication as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      const set = lingering.get(slot) ?? new Set<LogSession>();
      set.add(session);
      lingering.set(slot, set);
    }
  }

  async function relationSchema(dataClient: pg.Client, types: TypeRegistry, s: LiveStream, relation: RelationMessage): Promise<SourceMessage | undefined> {
    if (relation.columns.some((c) => !types.has(c.typeOid))) await types.reload(dataClient);
    const catalogProps = s.plan.schema.properties ?? {};
    const properties: Record<string, JsonSchema> = {};
    const columns: NonNullable<LiveStream['columns']> = [];
    for (const [index, column] of relation.columns.entries()) {
      if (deselected(s.plan.catalogStream, column.name) && !s.plan.keys.includes(column.name)) continue;
      const kind = types.kind(column.typeOid);
      columns.push({ name: column.name, index, isKey: column.isKey, parse: kind.parse });
      // The catalog's schema holds while the column keeps its type; a changed type gets a schema of its own.
      const planned = s.plan.columns.find((c) => c.name === column.name);
      let schema = planned && planned.typeOid === column.typeOid ? catalogProps[column.name] : undefined;
      if (!schema) {
        const { rows } = await dataClient.query<{ t: string }>(`SELECT format_type($1, $2) AS t`, [column.typeOid, column.typmod]);
        schema = columnSchema(kind, rows[0]!.t, false);
      }
      properties[column.name] = schema;
    }
    s.relation = relation;
    s.columns = columns;
    const schema: JsonSchema = { ...s.plan.schema, properties: { ...properties, ...SDC_PROPERTIES } };
    const signature = JSON.stringify(schema);
    if (signature === s.schemaSignature) return undefined;
    s.schemaSignature = signature;
    return { type: 'SCHEMA', stream: s.plan.stream, schema, key_properties: s.plan.keys };
  }
}

/** Builds the record of one change; unchanged TOAST values are filled from the old row or looked up later. */
function changeRecord(
  s: LiveStream,
  message: { tag: 'insert' | 'update' | 'delete'; tuple?: TupleValue[]; old?: TupleValue[]; oldKind?: 'K' | 'O' },
  txnLsn: bigint,
  txnTime: bigint,
): RecordData {
  const record: RecordData = {};
  const columns = s.columns ?? [];
  if (message.tag === 'delete') {
    // Replica identity DEFAULT/INDEX sends only the identity columns; the others are unknown, not NULL.
    const keyOnly = message.oldKind === 'K';
    for (const column of columns) {
      if (keyOnly && !column.isKey && !s.plan.keys.includes(column.name)) continue;
      const text = message.old![column.index];
      if (text === undefined) continue;
      record[column.name] = text === null ? null : column.parse(text);
    }
  } else {
    const holes: string[] = [];
    for (const column of columns) {
      let text = message.tuple![column.index];
      if (text === undefined && message.oldKind === 'O') text = message.old?.[column.index];
      if (text === undefined) holes.push(column.name);
      else record[column.name] = text === null ? null : column.parse(text);
    }
    if (holes.length > 0) s.toastHoles.push({ record, fields: holes });
  }
  record[SDC_LSN] = lsnValue(txnLsn);
  record[SDC_DELETED_AT] = message.tag === 'delete' ? pgTimestampToIso(txnTime) : null;
  return record;
}

/** Commit timestamps are microseconds since 2000-01-01 UTC. */
function pgTimestampToIso(micros: bigint): string {
  const ms = Number(micros / 1000n) + 946_684_800_000;
  const frac = String(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/**
 * Unchanged TOAST values are not in the WAL (replica identity other than FULL). They are read from the
 * table by key. A value read now may be newer than the change, but any later change of that column comes
 * down the stream after it, so the destination converges to the source; a row deleted meanwhile keeps the
 * field out of the record rather than writing NULL.
 */
async function fillToast(client: pg.Client, s: LiveStream): Promise<void> {
  const keys = s.plan.keys;
  if (keys.length === 0) {
    throw new ConnectorError('TOAST_WITHOUT_KEY', 'an update left large values out of the WAL, and the table has no key to look them up by', {
      stream: s.plan.tapStreamId,
      hint: `ALTER TABLE ${qualified(s.plan.schemaName, s.plan.tableName)} REPLICA IDENTITY FULL; then run with --full-refresh for this stream`,
    });
  }
  const fields = [...new Set(s.toastHoles.flatMap((h) => h.fields))];
  const byName = new Map((s.columns ?? []).map((c) => [c.name, c]));
  const planColumns = new Map(s.plan.columns.map((c) => [c.name, c]));
  const keyOf = (values: unknown[]) => stringifyExactJson(values);
  const tuples = s.toastHoles.map((h) => `(${keys.map((k) => valueLiteral(h.record[k], planColumns.get(k))).join(', ')})`);
  const sql = `SELECT ${[...keys, ...fields].map((c) => `${ident(c)}::text`).join(', ')} FROM ${qualified(s.plan.schemaName, s.plan.tableName)} WHERE (${keys.map(ident).join(', ')}) IN (${tuples.join(', ')})`;
  const { rows } = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
  const parse = (name: string, text: unknown) => (text === null || text === undefined ? null : (byName.get(name)?.parse ?? String)(String(text)));
  const found = new Map<string, unknown[]>();
  for (const row of rows) found.set(keyOf(keys.map((k, i) => parse(k, row[i]))), row.slice(keys.length));
  const position = new Map(fields.map((f, i) => [f, i]));
  for (const hole of s.toastHoles) {
    const row = found.get(keyOf(keys.map((k) => hole.record[k])));
    if (!row) continue; // deleted since: its delete follows in the stream
    for (const field of hole.fields) hole.record[field] = parse(field, row[position.get(field)!]);
  }
  s.toastHoles = [];
}

async function closeSession(session: LogSession): Promise<void> {
  lingering.get(session.slot)?.delete(session);
  if (session.closeTimer) clearTimeout(session.closeTimer);
  session.closeTimer = undefined;
  const client = session.client;
  session.client = undefined;
  session.stream = undefined;
  if (client) await client.end().catch(() => {});
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
  const slot = session?.slot ?? slotName(config);
  const client = await connect(config);
  try {
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
