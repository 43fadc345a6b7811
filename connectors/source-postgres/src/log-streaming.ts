import { randomBytes } from 'node:crypto';
import {
  ConnectorError,
  getMetadata,
  isFieldSelected,
  stringifyExactJson,
  type CatalogStream,
  type ConnectorContext,
  type JsonSchema,
  type RecordData,
  type SourceMessage,
} from '@mage-int/core';
import type pg from 'pg';
import { connect, explainError, ident, literal, qualified } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { bookmarkLsn, closeSession, linger, type LogSession } from './log-session.js';
import { SDC_DELETED_AT, SDC_LSN, SDC_PROPERTIES } from './log-snapshot.js';
import { formatLsn, lsnValue, parseLsn } from './lsn.js';
import { decodePgOutput, type RelationMessage, type TupleValue } from './pgoutput.js';
import { valueLiteral, type ReadEnv } from './read-full-table.js';
import { ReplicationStream } from './replication-stream.js';
import type { SlotNames } from './slot-names.js';
import type { TablePlan } from './table-plan.js';
import { columnSchema, type TypeRegistry } from './type-map.js';

const MARKER_PREFIX = 'mage-int:end';
/** How often the live connection reports the committed position even without a new commit. */
const STATUS_INTERVAL_MS = 10_000;
/** Flush buffered changes at least this often, so destinations see a steady stream. */
const FLUSH_INTERVAL_MS = 1_000;
/**
 * Following: committed changes leave within this, a small part of the lag budget (`max_lag_seconds`, default
 * 0.5 s), as source-mysql does.
 */
const FOLLOW_FLUSH_MS = 100;

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

/** Whether a field was explicitly deselected (new columns are selected: they appear in a new SCHEMA). */
function deselected(stream: CatalogStream, field: string): boolean {
  const md = getMetadata(stream, ['properties', field]);
  return Object.keys(md).length > 0 && !isFieldSelected(stream, field);
}

/** How a streaming read runs. */
export interface StreamOptions {
  names: SlotNames;
  serverVersion: number;
  /** Stream until cancelled instead of stopping at the WAL position current now. */
  follow: boolean;
  session: LogSession;
}

/**
 * Streams pgoutput changes of all `plans` from the slot on one replication connection. A bounded run stops at a
 * marker written into the WAL when it starts; `follow` streams until cancelled. STATE carries `lsn` per stream;
 * when the selected tables are quiet the position still advances (heartbeat), so an idle slot does not hold WAL.
 */
export async function* streamChanges(
  config: Config,
  env: ReadEnv,
  plans: readonly TablePlan[],
  registry: TypeRegistry,
  options: StreamOptions,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const client = env.client;
  const { names, session } = options;
  const slot = names.slot;
  const publication = names.publication;
  const serverVersion = options.serverVersion;
  const confirmed = session.confirmed;

  const live = new Map<string, LiveStream>();
  for (const plan of plans) {
    const bookmark = env.tracker.bookmark(plan.tapStreamId);
    live.set(plan.tapStreamId, {
      plan,
      version: bookmark.version ?? Date.now(),
      from: bookmarkLsn(bookmark.lsn) ?? confirmed,
      pending: [],
      toastHoles: [],
    });
  }
  const startAt = [...live.values()].reduce((min, s) => (s.from < min ? s.from : min), [...live.values()][0]!.from);

  // The end of a bounded run: a marker message written into the WAL now.
  let marker: { prefix: string; lsn: bigint } | undefined;
  if (!options.follow) {
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
  const heartbeatMs = config.heartbeat_seconds * 1000;
  const flushMs = options.follow ? FOLLOW_FLUSH_MS : FLUSH_INTERVAL_MS;

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
        wal = await stream.next(Math.min(flushMs, heartbeatMs));
      } catch (error) {
        if (ctx.signal.aborted) return; // cancelled: closing the connection ended the stream
        throw explainError(error, config);
      }
      const now = Date.now();
      if (now - lastStatusAt >= STATUS_INTERVAL_MS) {
        stream.sendStatus(session.confirmed);
        lastStatusAt = now;
      }
      if (wal === null)
        throw new ConnectorError('REPLICATION_ENDED', 'the server ended the replication stream', {
          hint: 'run again; the stream resumes from the last committed position',
        });
      if (wal === undefined) {
        // Idle: send what is buffered, then learn how far the server has decoded.
        if (!inTransaction && dirty) {
          yield* flush(true);
          yield env.tracker.message();
          dirty = false;
          lastStateAt = now;
        }
        if (!inTransaction && now - keepaliveAsked >= (marker ? flushMs : heartbeatMs)) {
          keepaliveAsked = now;
          stream.sendStatus(session.confirmed, true);
        }
        continue;
      }
      if (wal.kind === 'keepalive') {
        if (wal.replyRequested) stream.sendStatus(session.confirmed);
        // Keepalives keep coming while the server decodes other databases' WAL, so the stream is never idle: changes
        // waiting since their commit leave after the flush interval here too, not only after a quiet second.
        if (!inTransaction && dirty && now - lastStateAt >= flushMs) {
          yield* flush(true);
          yield env.tracker.message();
          dirty = false;
          lastStateAt = now;
        }
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
          if (now - lastStateAt >= flushMs || [...live.values()].some((s) => s.pending.length >= env.batchSize)) {
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
    else linger(session);
  }

  async function relationSchema(
    dataClient: pg.Client,
    types: TypeRegistry,
    s: LiveStream,
    relation: RelationMessage,
  ): Promise<SourceMessage | undefined> {
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
    throw new ConnectorError(
      'TOAST_WITHOUT_KEY',
      'an update left large values out of the WAL, and the table has no key to look them up by',
      {
        stream: s.plan.tapStreamId,
        hint: 'name the key columns with `key_properties:` for this stream in the pipeline file (LOG_BASED needs a key)',
      },
    );
  }
  const fields = [...new Set(s.toastHoles.flatMap((h) => h.fields))];
  const byName = new Map((s.columns ?? []).map((c) => [c.name, c]));
  const planColumns = new Map(s.plan.columns.map((c) => [c.name, c]));
  const keyOf = (values: unknown[]) => stringifyExactJson(values);
  const tuples = s.toastHoles.map((h) => `(${keys.map((k) => valueLiteral(h.record[k], planColumns.get(k))).join(', ')})`);
  const sql = `SELECT ${[...keys, ...fields].map((c) => `${ident(c)}::text`).join(', ')} FROM ${qualified(s.plan.schemaName, s.plan.tableName)} WHERE (${keys.map(ident).join(', ')}) IN (${tuples.join(', ')})`;
  const { rows } = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
  const parse = (name: string, text: unknown) =>
    text === null || text === undefined ? null : (byName.get(name)?.parse ?? String)(String(text));
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
