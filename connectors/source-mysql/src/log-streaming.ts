import { ConnectorError, type ConnectorContext, type RecordData, type SourceMessage, type StateTracker } from '@mage-int/core';
import { GtidSet, MariadbGtidPosition, type AnyBinlogEvent } from '@vlasky/zongji';
import { comparePositions, formatPosition, readerServerId, type BinlogPosition } from './binlog-position.js';
import { BinlogReader } from './binlog-reader.js';
import { connectionOptions, explainError, type MySqlClient } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { logSchema, positionBookmark, SDC_BINLOG_POS, SDC_DELETED_AT, SDC_GTID } from './log-snapshot.js';
import { bookmarkPosition } from './preflight.js';
import type { ServerInfo } from './server-info.js';
import { loadTables } from './tables.js';
import { convertRow, planFromTable, type TablePlan } from './table-plan.js';

/** How long the reader waits for an event before it reports its position (follow) or checks for the end. */
const IDLE_MS = 250;
/** Follow mode: pending changes are released at least this often. */
const FLUSH_MS = 100;

/** One LOG_BASED stream while the binlog is read. */
interface LogStream {
  plan: TablePlan;
  /** Changes of transactions that start before this position are already in the stream's snapshot. */
  from: BinlogPosition;
  /** The table version of the snapshot the changes apply to (a TRUNCATE starts a new one). */
  version: number;
}

/** The executed GTIDs as the reader moves: MariaDB's per-domain position, or MySQL's set. */
type GtidTracker = { kind: 'mariadb'; value: MariadbGtidPosition } | { kind: 'mysql'; value: GtidSet } | undefined;

function startGtid(info: ServerInfo, saved: unknown): GtidTracker {
  if (typeof saved !== 'string') return undefined;
  try {
    return info.engine === 'mariadb'
      ? { kind: 'mariadb', value: MariadbGtidPosition.parse(saved) }
      : { kind: 'mysql', value: GtidSet.parse(saved) };
  } catch {
    return undefined;
  }
}

/** Statements that change a table's shape or content outside row events. */
const DDL =
  /^\s*(?:\/\*.*?\*\/\s*)*(ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE|TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|RENAME\s+TABLE)\s+((?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)/i;

function unquote(name: string): string {
  return name.startsWith('`') ? name.slice(1, -1).replace(/``/g, '`') : name;
}

/** The statement kind and `database.table` a DDL statement names, if it is one. */
export function ddlTarget(
  query: string,
  defaultDatabase: string,
): { kind: 'alter' | 'truncate' | 'drop' | 'rename'; table: string } | undefined {
  const match = DDL.exec(query);
  if (!match?.[1] || !match[2]) return undefined;
  const word = match[1].toUpperCase();
  const kind = word.startsWith('ALTER') ? 'alter' : word.startsWith('TRUNCATE') ? 'truncate' : word.startsWith('DROP') ? 'drop' : 'rename';
  const parts = match[2].split(/\s*\.\s*(?=`|[\w$])/).map(unquote);
  const table = parts.length === 2 ? `${parts[0]}.${parts[1]}` : `${defaultDatabase}.${parts[0]}`;
  return { kind, table };
}

/** Key values as the binlog reader decodes them (numbers, strings, Buffers). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b || String(a) === String(b);
}

/** A query event that ends a transaction or stands alone (DDL), rather than BEGIN or a statement inside one. */
function isBoundaryQuery(query: string): boolean {
  const q = query.trim().toUpperCase();
  return !(q === 'BEGIN' || q.startsWith('XA START') || q.startsWith('XA END') || q.startsWith('SAVEPOINT') || q.startsWith('ROLLBACK TO'));
}

export interface StreamingOptions {
  follow: boolean;
  batchSize: number;
  /** Without follow: stop once the position reaches this (the end of the binlog when the read started). */
  end?: BinlogPosition;
}

/**
 * Reads the binlog from the lowest position of the streams and emits their changes: inserts and updates as the
 * new row, deletes as the old row with `_sdc_deleted_at`, each with `_sdc_binlog_pos` (the position its transaction
 * starts at) and `_sdc_gtid`. STATE (every stream's position, GTID and server identity) is emitted only at
 * transaction boundaries and only after every record before it, so a saved state never lies inside a transaction
 * or ahead of what the destination stored. ALTER TABLE on a stream's table re-reads its columns and emits a new
 * SCHEMA; TRUNCATE becomes ACTIVATE_VERSION of a new, empty version; DROP and RENAME are reported (see the README).
 */
export async function* streamChanges(
  config: Config,
  client: MySqlClient,
  info: ServerInfo,
  tracker: StateTracker,
  plans: readonly TablePlan[],
  options: StreamingOptions,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const streams = new Map<string, LogStream>();
  for (const plan of plans) {
    const from = bookmarkPosition(tracker.bookmark(plan.tapStreamId));
    if (!from) throw new Error(`stream ${plan.tapStreamId} has no binlog position after its snapshot`);
    const version = tracker.bookmark(plan.tapStreamId).version;
    streams.set(`${plan.database}.${plan.table}`, { plan, from, version: typeof version === 'number' ? version : Date.now() });
  }
  const ordered = [...streams.values()].sort((a, b) => comparePositions(a.from, b.from));
  const first = ordered[0];
  if (!first) return;
  let boundary: BinlogPosition = first.from;
  const gtids = startGtid(info, tracker.bookmark(first.plan.tapStreamId)['gtid']);
  let file = boundary.file;
  let trxGtid: string | undefined;
  let released = boundary;

  const pending = new Map<string, RecordData[]>();
  let pendingCount = 0;
  let lastFlush = Date.now();
  let index = 0;

  const done = () => !options.follow && options.end !== undefined && comparePositions(boundary, options.end) >= 0;

  /** Pending records, stream by stream. */
  function* flushRecords(): Generator<SourceMessage> {
    for (const [key, records] of pending) {
      if (records.length === 0) continue;
      const stream = streams.get(key) as LogStream;
      yield { type: 'RECORD_BATCH', stream: stream.plan.stream, records, version: stream.version };
    }
    pending.clear();
    pendingCount = 0;
    lastFlush = Date.now();
  }

  /** Records, then a STATE at the current boundary (every stream at or behind it moves there). */
  function* release(): Generator<SourceMessage> {
    yield* flushRecords();
    if (comparePositions(boundary, released) <= 0) return;
    const gtid = gtids?.value.toString();
    for (const stream of streams.values()) {
      if (comparePositions(stream.from, boundary) > 0) continue;
      tracker.set(stream.plan.tapStreamId, positionBookmark({ position: boundary, ...(gtid !== undefined ? { gtid } : {}) }, info));
    }
    released = boundary;
    yield tracker.message();
  }

  async function* onDdl(query: string, database: string): AsyncGenerator<SourceMessage> {
    const target = ddlTarget(query, database);
    const stream = target ? streams.get(target.table) : undefined;
    // A statement before the stream's own position is in its snapshot already.
    if (!target || !stream || comparePositions(boundary, stream.from) < 0) return;
    const id = stream.plan.tapStreamId;
    if (target.kind === 'alter') {
      // Rows before the ALTER go out under the old SCHEMA.
      yield* flushRecords();
      const [live] = await loadTables(client, [stream.plan.database], new Set([target.table]));
      if (!live) return;
      stream.plan = planFromTable(config, stream.plan.entry, live, ctx.logger, [], true);
      ctx.logger.info(`${id}: ${query.trim().slice(0, 120)} — new SCHEMA with ${stream.plan.columns.length} columns`);
      yield { type: 'SCHEMA', stream: stream.plan.stream, schema: logSchema(stream.plan), key_properties: stream.plan.keys };
    } else if (target.kind === 'truncate') {
      // No rows in the binlog for it: a new, empty table version instead, so destinations remove every older row.
      yield* flushRecords();
      stream.version = Math.max(Date.now(), stream.version + 1);
      tracker.set(id, { version: stream.version });
      ctx.logger.info(`${id}: TRUNCATE at binlog ${formatPosition(boundary)} — ACTIVATE_VERSION ${stream.version}`);
      yield { type: 'ACTIVATE_VERSION', stream: stream.plan.stream, version: stream.version };
    } else {
      ctx.logger.warn(
        `${id}: ${target.kind.toUpperCase()} TABLE at binlog ${formatPosition(boundary)}: the stream receives no further changes`,
        { stream: id },
      );
    }
  }

  function addRows(
    event: AnyBinlogEvent & { tableId: number; tableMap: Record<number, { parentSchema: string; tableName: string }> },
    kind: 'insert' | 'update' | 'delete',
    rows: unknown[],
  ): void {
    const table = event.tableMap[event.tableId];
    if (!table) return;
    const stream = streams.get(`${table.parentSchema}.${table.tableName}`);
    // A transaction that starts before the stream's own position is in its snapshot already.
    if (!stream || comparePositions(boundary, stream.from) < 0) return;
    const pos = formatPosition(boundary);
    const deletedAt = kind === 'delete' ? new Date(event.timestamp).toISOString() : null;
    const key = `${table.parentSchema}.${table.tableName}`;
    let list = pending.get(key);
    if (!list) pending.set(key, (list = []));
    const push = (image: Record<string, unknown>, deleted: string | null) => {
      const record = convertRow(stream.plan, image, index++);
      record[SDC_DELETED_AT] = deleted;
      record[SDC_BINLOG_POS] = pos;
      record[SDC_GTID] = trxGtid ?? null;
      list.push(record);
      pendingCount++;
    };
    for (const row of rows) {
      if (kind !== 'update') {
        push(row as Record<string, unknown>, deletedAt);
        continue;
      }
      const { before, after } = row as { before: Record<string, unknown>; after: Record<string, unknown> };
      // An update that changes the key moves the row: the old key is deleted, or it would stay in the destination.
      if (stream.plan.keys.some((k) => !sameValue(before[k], after[k]))) push(before, new Date(event.timestamp).toISOString());
      push(after, null);
    }
  }

  // Every stream's SCHEMA (with the change columns) before its first change.
  for (const stream of streams.values())
    yield { type: 'SCHEMA', stream: stream.plan.stream, schema: logSchema(stream.plan), key_properties: stream.plan.keys };

  if (done()) {
    yield tracker.message();
    return;
  }
  const tables: Record<string, string[]> = {};
  for (const stream of streams.values()) (tables[stream.plan.database] ??= []).push(stream.plan.table);
  const reader = new BinlogReader({
    connection: connectionOptions(config),
    serverId: readerServerId(config.server_id, ctx.pipelineId, `${config.host}:${config.port}/${[...Object.keys(tables)].join(',')}`),
    start: boundary,
    tables,
  });
  ctx.logger.info(
    `reading the binlog from ${formatPosition(boundary)}${options.follow ? ' (following)' : options.end ? ` to ${formatPosition(options.end)}` : ''}`,
  );
  reader.start();
  try {
    for (;;) {
      const event = await reader.next(IDLE_MS, ctx.signal);
      if (ctx.signal.aborted) break;
      if (!event) {
        // Caught up: the reader's own resume point covers events it skipped (checkpoints, other tables' DDL).
        const resume = reader.resumePosition();
        if (resume && comparePositions(resume, boundary) > 0) boundary = resume;
        yield* release();
        if (done()) break;
        continue;
      }
      switch (event.getEventName()) {
        case 'rotate': {
          const rotate = event as unknown as { binlogName: string; position: number };
          file = rotate.binlogName;
          if (comparePositions({ file, pos: rotate.position }, boundary) > 0) boundary = { file, pos: rotate.position };
          break;
        }
        case 'gtid':
        case 'mariadbgtid':
          trxGtid = (event as unknown as { gtid: string }).gtid;
          break;
        case 'writerows':
          addRows(event as never, 'insert', (event as unknown as { rows: unknown[] }).rows);
          break;
        case 'updaterows':
          addRows(event as never, 'update', (event as unknown as { rows: unknown[] }).rows);
          break;
        case 'deleterows':
          addRows(event as never, 'delete', (event as unknown as { rows: unknown[] }).rows);
          break;
        case 'xid':
        case 'query': {
          const query = event.getEventName() === 'query' ? (event as unknown as { query: string; schema: string }) : undefined;
          if (query && !isBoundaryQuery(query.query)) break;
          if (query) yield* onDdl(query.query, query.schema);
          if (event.nextPosition > 0) boundary = { file, pos: event.nextPosition };
          if (gtids && trxGtid) {
            if (gtids.kind === 'mariadb') {
              const m = /^(\d+)-(\d+)-(\d+)$/.exec(trxGtid);
              if (m) gtids.value.add({ domainId: Number(m[1]), serverId: Number(m[2]), seqNo: m[3] as string });
            } else gtids.value.add(trxGtid);
          }
          trxGtid = undefined;
          if (pendingCount >= options.batchSize || Date.now() - lastFlush >= FLUSH_MS || done()) yield* release();
          break;
        }
      }
      if (done()) break;
      // A large transaction goes out in batches (no STATE inside it: its position is not a place to resume from).
      if (pendingCount >= options.batchSize) yield* flushRecords();
    }
    yield* release();
    // A read always ends with the full state, even when it found nothing to release.
    if (!ctx.signal.aborted) yield tracker.message();
  } catch (error) {
    throw explainError(
      error instanceof ConnectorError
        ? error
        : new ConnectorError(
            'BINLOG_READ_FAILED',
            `reading the binlog failed at ${formatPosition(boundary)}: ${(error as Error).message}`,
            { cause: error, hint: 'see the message above; the run can be restarted from its last saved state' },
          ),
      config,
    );
  } finally {
    await reader.stop();
  }
}
