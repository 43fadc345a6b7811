import type pg from 'pg';
import {
  ConnectorError,
  decodedRecords,
  RecordValidationError,
  risingCopyTextKeys,
  risingRecordKeys,
  type CommitReason,
  stringifyExactJson,
  type ConflictMethod,
  type DestinationSession,
  type JsonSchema,
  type KeyValue,
  type NativeRows,
  type RecordBatch,
  type RecordData,
  type RecordLines,
  type SessionControl,
  type StreamInfo,
} from '@mage-int/core';
import { base16Error, type TableRef } from '@mage-int/core/sql';
import { connect, type ResolvedConfig } from './connection.js';
import { Base16Error, ColumnOverflowError, NulCharacterError, ValueTypeError } from './copy-text.js';
import { CopyWriter } from './copy-writer.js';
import type { LineTranscoder } from './record-lines.js';
import { pickName, streamComment } from './naming.js';
import { PostgresDialect } from './postgres-dialect.js';
import type { PgType } from './pg-types.js';
import type { RowMeta } from './row-encoder.js';
import { planStream, type StreamPlan } from './stream-plan.js';
import { nativeLayout, planLayouts, type CopyLayout, type NativeLayout } from './native-rows.js';
import { addPendingKeySql, describeTable, hasUniqueKey, listTables, PENDING_KEY_CONSTRAINT } from './table-catalog.js';

/**
 * Encoded rows are written straight into a buffer of this size (UTF-8), which goes to PostgreSQL when full:
 * no joined strings, one copy.
 */
const CHUNK_BYTES = 256 * 1024;
/** A direct COPY keeps its rows for a replay into staging; it is cut into segments of this size to bound memory. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
const SAVEPOINT = 'mage_segment';
/** Batches of a stream that skip the RECORD-line transcoder after one in which it took fewer than half the lines. */
const LINES_PAUSE_BATCHES = 16;
/** Rows the batch encoder puts in one string before it is written to the pending buffer (UTF-16 units, ~3× in bytes at worst). */
const BATCH_TEXT_UNITS = 32 * 1024;

/** Per-stream load state. */
interface StreamLoad {
  name: string;
  index: number;
  schema: JsonSchema;
  keyProperties: string[];
  method: ConflictMethod;
  table: string;
  plan: StreamPlan;
  /** `direct`: COPY into the target (no key conflict seen); `staging`: COPY into a temp table, merge at commit. */
  mode: 'direct' | 'staging';
  /** A direct upsert met an existing key: stage for the rest of the run. */
  conflicted: boolean;
  versioned: boolean;
  deletedColumn: boolean;
  minimumTypes: Map<string, PgType>;
  /** Rows not yet sent (UTF-8, the first `pendingBytes` bytes), all of one layout. */
  pending: Buffer | undefined;
  pendingBytes: number;
  pendingLayout: CopyLayout;
  /** The layouts of the plan's own encoders. */
  layouts: { plain: CopyLayout; flagged: CopyLayout };
  /** How the last native rows loaded (undefined: they could not), by the native column list they came with. */
  native: { key: string; layout: NativeLayout | undefined } | undefined;
  /** In the current transaction: the staging table exists / how many rows it holds. */
  stagingReady: boolean;
  stagingRows: number;
  /** Records of this stream seen so far (names records in errors). */
  records: number;
  /** Batches still to load without trying their RECORD lines (see LINES_PAUSE_BATCHES). */
  linesPaused: number;
  /** Every row of the table came from this run: it created the table. */
  tableIsOurs: boolean;
  /**
   * This run created the table without its primary key (defer_primary_key) and loads it straight, without
   * savepoints, while every key rises above the last (`lastKey`); the key is added before anything needs it.
   */
  deferredKey: boolean;
  lastKey: KeyValue | undefined;
  /** Lowest record version loaded in this run, and whether any record came without one. */
  minVersion: number;
  unversioned: boolean;
  warnedDeleteWithoutKey: boolean;
}

/** A stream's load state before its table is planned. */
type Draft = Omit<StreamLoad, 'plan' | 'layouts' | 'pendingLayout'>;

/** Identifies a running COPY: the stream, where it loads, and the layout of its rows. */
function copyKey(load: StreamLoad, target: 'direct' | 'staging', layout: CopyLayout): string {
  return `${load.index}:${target}:${layout.key}`;
}

interface ActiveCopy {
  key: string;
  load: StreamLoad;
  target: 'direct' | 'staging';
  layout: CopyLayout;
  writer: CopyWriter;
  /** Direct upserts keep the segment's chunks to replay them into staging after a key conflict. */
  segment: Buffer[] | undefined;
  segmentBytes: number;
}

/** Settings the session reads besides the connection ones. */
export interface SessionSettings {
  interpretContentEncoding: boolean;
}

/**
 * The PostgreSQL session of the destination kit: loads records on one connection. Records are encoded to COPY
 * text as they arrive and streamed to the server in chunks, so PostgreSQL works while the next records are
 * encoded; everything since the last commit is one transaction. When to commit and when to release a STATE is
 * the kit's batching writer's decision; names, types, DDL and merges are the PostgreSQL dialect's.
 */
export class PostgresSession implements DestinationSession {
  private readonly streams = new Map<string, StreamLoad>();
  private readonly dialect: PostgresDialect;
  private inTransaction = false;
  private active: ActiveCopy | undefined;
  private unitRows = 0;
  private unitBytes = 0;
  private batchedAt = '';
  private pendingOps: string[] = [];
  private sequence = Date.now() * 1000;
  private tableOwners: Map<string, string | null> | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly config: ResolvedConfig,
    private readonly settings: SessionSettings,
    private readonly control: SessionControl,
  ) {
    this.dialect = new PostgresDialect({
      lowercase: config.lowercase,
      allowReservedWords: config.allowReservedWords,
      skipSchemaCreation: config.skipSchemaCreation,
    });
  }

  static async open(config: ResolvedConfig, settings: SessionSettings, control: SessionControl): Promise<PostgresSession> {
    return new PostgresSession(await connect(config), config, settings, control);
  }

  private get logger() {
    return this.control.logger;
  }

  private hasUncommitted(): boolean {
    return this.unitRows > 0 || this.pendingOps.length > 0 || this.inTransaction;
  }

  /** A stream's first or changed SCHEMA (the kit calls it with nothing uncommitted). */
  async openStream(stream: StreamInfo): Promise<void> {
    const known = this.streams.get(stream.name);
    if (known) {
      // Rows rose by the old key: a changed key gets the primary key they were loaded for.
      if (known.deferredKey && stream.keyProperties.join('\u0000') !== known.keyProperties.join('\u0000')) {
        await this.addKey(known, 'its key properties changed');
        await this.commitKeyOnly();
      }
      known.schema = stream.schema;
      known.keyProperties = stream.keyProperties;
      known.method = stream.conflictMethod;
      await this.replan(known);
      return;
    }
    const draft: Draft = {
      name: stream.name,
      index: this.streams.size + 1,
      schema: stream.schema,
      keyProperties: stream.keyProperties,
      method: stream.conflictMethod,
      table: await this.tableFor(stream.name),
      mode: 'staging',
      conflicted: false,
      versioned: false,
      deletedColumn: false,
      minimumTypes: new Map(),
      pending: undefined,
      pendingBytes: 0,
      native: undefined,
      stagingReady: false,
      stagingRows: 0,
      records: 0,
      linesPaused: 0,
      tableIsOurs: false,
      deferredKey: false,
      lastKey: undefined,
      minVersion: Number.POSITIVE_INFINITY,
      unversioned: false,
      warnedDeleteWithoutKey: false,
    };
    const plan = await this.planFor(draft);
    const layouts = planLayouts(plan);
    const load: StreamLoad = { ...draft, plan, layouts, pendingLayout: layouts.plain };
    this.streams.set(stream.name, load);
    this.afterPlan(load);
    await this.keyLeftPending(load);
  }

  /** The table of a stream: stable across runs (see pickName), distinct from other streams' tables. */
  private async tableFor(stream: string): Promise<string> {
    this.tableOwners ??= await listTables(this.client, this.config.schema);
    const { table } = this.config;
    if (table !== undefined) {
      // Mage's `table`: the one stream of the pipeline loads the named table, as named (no prefix, no normalising).
      const other = [...this.streams.keys()].find((name) => name !== stream);
      if (other !== undefined) {
        throw new ConnectorError(
          'TABLE_FOR_ONE_STREAM',
          `"table" names one table (${table}) but streams "${other}" and "${stream}" both arrived`,
          {
            stream,
            field: 'table',
            hint: 'select one stream in the pipeline (or run one pipeline per stream), or drop "table" so each stream loads its own table (table_prefix prepends)',
          },
        );
      }
      this.tableOwners.set(table, stream);
      return table;
    }
    const name = pickName(stream, this.tableOwners, this.dialect.identifiers, this.config.tablePrefix);
    this.tableOwners.set(name, stream);
    return name;
  }

  private async replan(load: StreamLoad): Promise<void> {
    load.plan = await this.planFor(load);
    this.afterPlan(load);
    await this.keyLeftPending(load);
  }

  /**
   * A table without its primary key that this run did not create is one a run stopped loading before it built the
   * key (a crash): build it now, before anything loads (the rows there are distinct, their keys having risen), so
   * rows that run loaded after its last released state merge with them instead of repeating.
   */
  private async keyLeftPending(load: StreamLoad): Promise<void> {
    if (!load.plan.keyPending || load.deferredKey || load.method === 'append' || load.plan.keyColumns.length === 0) return;
    const open = this.inTransaction;
    await this.addKey(load, 'an earlier run stopped before building it');
    if (!open) await this.commitKeyOnly();
  }

  private planFor(load: Draft): Promise<StreamPlan> {
    const comment = streamComment(load.name, load.table);
    return planStream({
      client: this.client,
      schema: this.config.schema,
      table: load.table,
      ...(comment ? { tableComment: comment } : {}),
      stream: load.name,
      streamSchema: load.schema,
      keyProperties: load.keyProperties,
      method: load.method,
      dialect: this.dialect,
      interpretContentEncoding: this.settings.interpretContentEncoding,
      nul: this.config.nul,
      allMetadata: this.config.addRecordMetadata,
      deferKey: this.config.deferPrimaryKey && this.config.directLoad,
      versioned: load.versioned,
      deletedColumn: load.deletedColumn,
      minimumTypes: load.minimumTypes,
      logger: this.logger,
    });
  }

  private afterPlan(load: StreamLoad): void {
    if (load.plan.createdTable) load.tableIsOurs = true;
    if (load.plan.createdTable && load.plan.keyPending) load.deferredKey = true;
    load.layouts = planLayouts(load.plan);
    load.native = undefined;
    this.resetMode(load, true);
    if (load.plan.columns.length === 0) this.logger.warn(`stream "${load.name}" has no properties: its records have nothing to load`);
  }

  /**
   * Direct COPY into the target for appends, and for upserts while no key conflict was seen (a stream that hit
   * one stays on staging for the run: its keys evidently exist already).
   */
  private resetMode(load: StreamLoad, announce = false): void {
    const direct =
      this.config.directLoad &&
      (load.method === 'append' || (load.method === 'upsert' && (load.plan.uniqueKey || load.deferredKey) && !load.conflicted));
    const mode = direct ? 'direct' : 'staging';
    if (announce || mode !== load.mode) {
      this.logger.debug(
        `stream "${load.name}": ${direct ? 'copying straight into' : 'staging and merging into'} ${load.plan.table.qualified} (${load.method}${load.deferredKey ? ', primary key after the rows' : ''})`,
      );
    }
    load.mode = mode;
  }

  /** Bytes of COPY data since the last commit, sent or pending (for batch_size_bytes). */
  uncommittedBytes(): number {
    return this.unitBytes + this.pendingBytes();
  }

  /** Encodes (or copies, for matching native rows) a batch into the stream's pending COPY data. */
  async write(batch: RecordBatch): Promise<void> {
    const { version, native } = batch;
    let records = batch.records;
    const load = this.streams.get(batch.stream) as StreamLoad;
    if (version !== undefined && !load.plan.hasVersionColumn) {
      await this.control.commit();
      load.versioned = true;
      if (!this.config.hardDelete) load.deletedColumn = true;
      await this.replan(load);
    }
    if (load.plan.columns.length === 0) {
      load.records += records.length;
      return;
    }
    if (records.length > 0) {
      if (version === undefined) load.unversioned = true;
      else load.minVersion = Math.min(load.minVersion, version);
    }
    const meta: RowMeta = {
      extractedAt: batch.timeExtracted ?? null,
      // Only the metadata columns read it; a Singer target gets a message per record, so skip the clock otherwise.
      receivedAt: this.config.addRecordMetadata ? new Date().toISOString() : '',
      batchedAt: '',
      sequence: this.sequence,
      version: version ?? null,
    };
    const layout = native && records.length > 0 ? this.nativeLayoutOf(load, native) : undefined;
    const transcode = !layout && batch.lines ? load.plan.transcodeLines : undefined;
    if (transcode && batch.lines && !(load.linesPaused > 0 && load.linesPaused--)) {
      // The keys' rise is checked line by line as they are read.
      const taken = await this.transcodeLines(load, transcode, batch.lines, meta);
      if (taken === records.length) {
        this.sequence = meta.sequence;
        return;
      }
      // The rest of the batch goes through its records. A stream whose lines mostly cannot be taken (a json column,
      // spaced JSON) stops trying for a while: each try costs a scan of the line.
      if (taken < records.length / 2) load.linesPaused = LINES_PAUSE_BATCHES;
      records = decodedRecords(records).slice(taken);
    }
    if (load.deferredKey) {
      const field = load.keyProperties[0] as string;
      const order = load.plan.keyOrder;
      const column = layout && native ? native.fields.indexOf(field) : -1;
      const rising =
        order === undefined
          ? undefined
          : layout && native
            ? column < 0
              ? undefined
              : risingCopyTextKeys(native.data, column, order, load.lastKey)
            : risingRecordKeys(records, field, order, load.lastKey);
      if (rising) load.lastKey = rising.last;
      else await this.addKey(load, 'a key did not rise above the one before it');
    }
    if (layout && native) {
      await this.copyNative(load, layout, native.data, records.length, meta);
    } else {
      await this.encodeRecords(load, records, meta);
    }
    this.sequence = meta.sequence;
  }

  /** The layout native rows of this shape load with into the stream's current plan, if they can. */
  private nativeLayoutOf(load: StreamLoad, native: NativeRows): NativeLayout | undefined {
    const key = `${native.fields.join('\u0000')}\u0001${native.types.join('\u0000')}`;
    if (load.native?.key !== key) {
      const layout = nativeLayout(load.plan, native, this.config.nul);
      load.native = { key, layout };
      this.logger.debug(
        `stream "${load.name}": ${layout ? "loading the source database's COPY text as it is" : 'native rows do not match the table; encoding records'}`,
      );
    }
    return load.native.layout;
  }

  /** Stamps `_sdc_batched_at`: the time the unit of work (the transaction) got its first row. */
  private startUnit(meta: RowMeta): void {
    if (this.unitRows === 0) this.batchedAt = new Date().toISOString();
    meta.batchedAt = this.batchedAt;
  }

  /** Makes room for `bytes` more in the stream's pending buffer, in `layout` (sending what is there otherwise). */
  private async reserve(load: StreamLoad, layout: CopyLayout, bytes: number): Promise<Buffer> {
    if (load.pending && (load.pendingLayout !== layout || load.pendingBytes + bytes > load.pending.length)) await this.sendPending(load);
    load.pendingLayout = layout;
    load.pending ??= Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    return load.pending;
  }

  /**
   * Native COPY text rows, copied row by row into the pending buffer with the text of the plan's other columns
   * after each (or all at once when there is none): no record is read or encoded.
   */
  private async copyNative(load: StreamLoad, layout: NativeLayout, data: Buffer, rows: number, meta: RowMeta): Promise<void> {
    this.startUnit(meta);
    if (!layout.suffix) {
      const pending = await this.reserve(load, layout, data.length);
      load.pendingBytes += data.copy(pending, load.pendingBytes);
    } else {
      const suffix = layout.suffix;
      const batchSuffix = layout.perRow ? undefined : Buffer.from(suffix(meta));
      for (let start = 0; start < data.length; ) {
        let end = data.indexOf(10, start);
        if (end < 0) end = data.length;
        const tail = batchSuffix ?? Buffer.from(suffix(meta));
        const pending = await this.reserve(load, layout, end - start + tail.length);
        load.pendingBytes += data.copy(pending, load.pendingBytes, start, end);
        load.pendingBytes += tail.copy(pending, load.pendingBytes);
        start = end + 1;
      }
    }
    load.records += rows;
    this.unitRows += rows;
  }

  /**
   * Encodes records to COPY text rows in the pending buffer (the general path). Runs of plain records go through
   * the plan's compiled batch encoder, many rows to one string and one buffer write; a delete, and a run in which a
   * value fails to encode, take the record-by-record path, which handles them (and names the record).
   */
  private async encodeRecords(load: StreamLoad, batch: readonly RecordData[], meta: RowMeta): Promise<void> {
    const records = decodedRecords(batch);
    const hardDeleteByKey = this.config.hardDelete && load.method !== 'append';
    let i = 0;
    while (i < records.length) {
      const flagged = load.mode === 'staging' && hardDeleteByKey;
      const encoder = flagged ? load.plan.encodeFlaggedRows : load.plan.encodeRows;
      this.startUnit(meta);
      const text = encoder(records, i, meta, BATCH_TEXT_UNITS);
      const next = encoder.next;
      if (next === i) {
        await this.encodeRecord(load, records, i, meta);
        i++;
        continue;
      }
      await this.appendRows(load, flagged ? load.layouts.flagged : load.layouts.plain, text, next - i);
      i = next;
    }
  }

  /** Appends `rows` encoded COPY text rows to the stream's pending buffer (UTF-8: at most 3 bytes per UTF-16 unit). */
  private async appendRows(load: StreamLoad, layout: CopyLayout, text: string, rows: number): Promise<void> {
    const pending = await this.reserve(load, layout, text.length * 3);
    load.pendingBytes += pending.write(text, load.pendingBytes);
    load.records += rows;
    this.unitRows += rows;
  }

  /**
   * RECORD lines to COPY text rows in the pending buffer, straight from their JSON (see compileLineTranscoder), until
   * a line it does not take, a delete or the staging of deletes; returns how many lines went in. While the table's
   * primary key waits, each key must rise: the first that does not has the key built before its row.
   */
  private async transcodeLines(
    load: StreamLoad,
    transcode: LineTranscoder,
    { lines, recordStart, recordEnds }: RecordLines,
    meta: RowMeta,
  ): Promise<number> {
    const hardDeleteByKey = this.config.hardDelete && load.method !== 'append';
    let i = 0;
    while (i < lines.length && !(load.mode === 'staging' && hardDeleteByKey)) {
      this.startUnit(meta);
      const order = load.plan.keyOrder;
      const rise = load.deferredKey && order ? { order, last: load.lastKey } : undefined;
      const text = transcode(lines, recordStart, recordEnds, i, meta, BATCH_TEXT_UNITS, rise);
      const next = transcode.next;
      if (next > i) {
        if (rise) load.lastKey = rise.last;
        await this.appendRows(load, load.layouts.plain, text, next - i);
        i = next;
      } else if (!transcode.risen) await this.addKey(load, 'a key did not rise above the one before it');
      else break;
    }
    return i;
  }

  /**
   * One record to one COPY text row: a delete (which may switch the stream to staging or add the deleted column
   * first), or a record whose value the batch encoder could not take (a bigint column to widen, a value to reject).
   * A record that widened a column is encoded again with the new plan.
   */
  private async encodeRecord(load: StreamLoad, records: readonly RecordData[], index: number, meta: RowMeta): Promise<void> {
    const stream = load.name;
    const hardDeleteByKey = this.config.hardDelete && load.method !== 'append';
    const record = records[index] as RecordData;
    for (;;) {
      const deleted = record['_sdc_deleted_at'] !== undefined && record['_sdc_deleted_at'] !== null;
      if (deleted) {
        if (hardDeleteByKey) {
          if (load.deferredKey) await this.addKey(load, 'a delete by key');
          if (load.mode === 'direct') {
            await this.sendPending(load);
            load.mode = 'staging';
          }
        } else if (!load.plan.hasDeletedColumn) {
          this.sequence = meta.sequence;
          await this.control.commit();
          load.deletedColumn = true;
          await this.replan(load);
        }
        if (this.config.hardDelete && load.method === 'append' && !load.warnedDeleteWithoutKey) {
          load.warnedDeleteWithoutKey = true;
          this.logger.warn(`stream "${stream}" has no key properties: deletes are kept as rows with _sdc_deleted_at set`);
        }
      }
      this.startUnit(meta);
      const flagged = load.mode === 'staging' && hardDeleteByKey;
      let line: string;
      try {
        line = flagged ? load.plan.encodeFlagged(record, meta) : load.plan.encodeRow(record, meta);
      } catch (error) {
        if (error instanceof ColumnOverflowError && !load.minimumTypes.has(error.column)) {
          // A bigint column met an integer beyond 64 bits: commit what came before, widen to numeric, retry.
          this.sequence = meta.sequence;
          await this.control.commit();
          load.minimumTypes.set(error.column, { kind: 'numeric' });
          this.logger.warn(`stream "${stream}": an integer does not fit bigint column "${error.column}"; widening it to numeric`);
          await this.replan(load);
          continue;
        }
        throw this.valueError(error, load, record);
      }
      // UTF-8 needs at most 3 bytes per UTF-16 unit; measure exactly only for big rows, to not over-allocate.
      const worst = line.length > 65_536 ? Buffer.byteLength(line) : line.length * 3;
      const pending = await this.reserve(load, flagged ? load.layouts.flagged : load.layouts.plain, worst);
      load.pendingBytes += pending.write(line, load.pendingBytes);
      load.records++;
      this.unitRows++;
      return;
    }
  }

  private valueError(error: unknown, load: StreamLoad, record: RecordData): Error {
    const ref = this.recordRef(load, record);
    const field = (column: string) => load.plan.fieldOf.get(column) ?? column;
    if (error instanceof Base16Error) return base16Error(load.name, ref, field(error.column), error.value);
    if (error instanceof NulCharacterError) {
      return new RecordValidationError('NUL_CHARACTER', 'contains a NUL character (U+0000), which PostgreSQL text and jsonb cannot store', {
        stream: load.name,
        record: ref,
        field: load.plan.fieldOf.get(error.column) ?? error.column,
        hint: 'set nul_characters: strip in the destination config to remove NUL characters, or clean the source data',
      });
    }
    if (error instanceof ColumnOverflowError) {
      return new RecordValidationError('VALUE_UNLOADABLE', 'is an integer too large for its column', {
        stream: load.name,
        record: ref,
        field: load.plan.fieldOf.get(error.column) ?? error.column,
      });
    }
    if (error instanceof ValueTypeError) {
      return new RecordValidationError('VALUE_UNLOADABLE', error.detail, {
        stream: load.name,
        record: ref,
        field: load.plan.fieldOf.get(error.column) ?? error.column,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  private recordRef(load: StreamLoad, record: RecordData): number | string {
    if (load.keyProperties.length === 0) return load.records;
    return stringifyExactJson(Object.fromEntries(load.keyProperties.map((k) => [k, record[k]])));
  }

  /** Retires rows older than `version` at the next commit (the kit commits right after). */
  async activateVersion(stream: string, version: number): Promise<void> {
    const load = this.streams.get(stream) as StreamLoad;
    if (!load.plan.hasVersionColumn || (!this.config.hardDelete && !load.plan.hasDeletedColumn)) {
      await this.control.commit();
      load.versioned = true;
      if (!this.config.hardDelete) load.deletedColumn = true;
      await this.replan(load);
    }
    // A table this run created holds only what this run loaded: when all of it carries this version or a newer
    // one, there is nothing older to retire, and the full scan can be skipped.
    const nothingOlder = load.tableIsOurs && !load.unversioned && load.minVersion >= version;
    if (!nothingOlder && load.deferredKey) await this.addKey(load, 'ACTIVATE_VERSION');
    if (!nothingOlder) this.pendingOps.push(...this.dialect.activateVersion(load.plan.table, version, this.config.hardDelete));
  }

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await this.client.query('BEGIN');
    this.inTransaction = true;
  }

  private pendingBytes(): number {
    let total = 0;
    for (const load of this.streams.values()) total += load.pendingBytes;
    return total;
  }

  private async sendPending(load: StreamLoad): Promise<void> {
    if (!load.pending) return;
    const chunk = load.pending.subarray(0, load.pendingBytes);
    load.pending = undefined;
    load.pendingBytes = 0;
    if (chunk.length > 0) await this.copyChunk(load, chunk, load.pendingLayout);
  }

  private async copyChunk(load: StreamLoad, chunk: Buffer, layout: CopyLayout): Promise<void> {
    await this.begin();
    const target = layout.flagged ? 'staging' : load.mode;
    if (this.active?.key !== copyKey(load, target, layout)) {
      await this.endActive();
      await this.startCopy(load, target, layout);
    }
    const active = this.active as ActiveCopy;
    active.segment?.push(chunk);
    active.segmentBytes += chunk.length;
    this.unitBytes += chunk.length;
    try {
      await active.writer.write(chunk);
    } catch (error) {
      await this.copyFailed(active, error);
      return;
    }
    if (active.segment && active.segmentBytes >= SEGMENT_BYTES) await this.endActive();
  }

  private staging(load: StreamLoad): TableRef {
    return this.dialect.stagingTable(load.plan.table, load.index);
  }

  private async startCopy(load: StreamLoad, target: 'direct' | 'staging', layout: CopyLayout): Promise<void> {
    const columns = layout.columns.map((c) => this.dialect.quoteIdentifier(c)).join(', ');
    let sql: string;
    let segment: Buffer[] | undefined;
    if (target === 'direct') {
      // Upserts copy optimistically inside a savepoint: a key conflict rolls back only this segment. Rows that
      // rise into a table without its key yet cannot conflict: no savepoint, nothing kept for a replay.
      if (load.method === 'upsert' && !load.deferredKey) {
        await this.client.query(`SAVEPOINT ${SAVEPOINT}`);
        segment = [];
      }
      sql = `COPY ${load.plan.table.qualified} (${columns}) FROM STDIN`;
    } else {
      await this.ensureStaging(load);
      sql = `COPY ${this.dialect.qualify(this.staging(load))} (${columns}) FROM STDIN`;
    }
    this.active = {
      key: copyKey(load, target, layout),
      load,
      target,
      layout,
      writer: new CopyWriter(this.client, sql),
      segment,
      segmentBytes: 0,
    };
  }

  private async ensureStaging(load: StreamLoad): Promise<void> {
    if (load.stagingReady) return;
    const statements = this.dialect.createStaging(
      this.staging(load),
      load.plan.table,
      load.plan.columns.map((c) => c.column),
    );
    for (const sql of statements) await this.client.query(sql);
    load.stagingReady = true;
  }

  /** Finishes the running COPY (releasing a direct segment's savepoint). */
  private async endActive(): Promise<void> {
    while (this.active) {
      const active = this.active;
      let rows: number;
      try {
        rows = await active.writer.end();
      } catch (error) {
        await this.copyFailed(active, error);
        continue;
      }
      this.active = undefined;
      if (active.target === 'direct' && active.segment) await this.client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      if (active.target === 'staging') active.load.stagingRows += rows;
    }
  }

  /**
   * A COPY failed. A key conflict during a direct upsert is expected (the key exists already): roll back the
   * segment, switch the stream to staging for the rest of the run and replay the segment there. Anything else
   * is the user's data or the database refusing: it ends the load with a clear error.
   */
  private async copyFailed(active: ActiveCopy, error: unknown): Promise<void> {
    this.active = undefined;
    const code = (error as { code?: string }).code;
    if (active.target === 'direct' && active.segment && code === '23505') {
      const load = active.load;
      await this.client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      await this.client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      this.logger.info(`stream "${load.name}": keys already in ${load.plan.table.qualified}; loading through a staging table from now on`);
      load.mode = 'staging';
      load.conflicted = true;
      await this.startCopy(load, 'staging', active.layout);
      const replay = this.active as ActiveCopy | undefined;
      if (!replay) return;
      for (const chunk of active.segment) {
        try {
          await replay.writer.write(chunk);
        } catch (replayError) {
          this.active = undefined;
          throw this.loadError(replayError, replay);
        }
      }
      return;
    }
    throw this.loadError(error, active);
  }

  private loadError(error: unknown, active: Pick<ActiveCopy, 'load' | 'target'>): Error {
    if (!(error instanceof Error)) return new Error(String(error));
    const pgError = error as Error & { code?: string; where?: string; detail?: string; column?: string };
    const column = /column (\S+?):/.exec(pgError.where ?? '')?.[1] ?? pgError.column;
    const line = /line (\d+)/.exec(pgError.where ?? '')?.[1];
    const field = column ? (active.load.plan.fieldOf.get(column) ?? column) : undefined;
    const detail = [pgError.detail, line ? `row ${line} of the chunk being loaded` : undefined].filter(Boolean).join('; ');
    return new ConnectorError(
      'LOAD_REJECTED',
      `PostgreSQL rejected the data for table ${active.load.plan.table.qualified}: ${pgError.message}${detail ? ` (${detail})` : ''}`,
      {
        stream: active.load.name,
        ...(field ? { field } : {}),
        cause: error,
        hint: hintFor(pgError.code),
      },
    );
  }

  /**
   * Adds the primary key a table this run created was loaded without, in the open transaction (opening one), after
   * sending the stream's rows; the stream then loads as any keyed table (direct in savepoints, staging at a
   * conflict).
   */
  private async addKey(load: StreamLoad, reason: string): Promise<void> {
    await this.sendPending(load);
    await this.endActive();
    await this.begin();
    const started = Date.now();
    const { table, keyColumns } = load.plan;
    let done = `built the primary key of ${table.qualified} (${reason})`;
    // In a savepoint: another run loading the same table (key ranges over workers) may have built the key since.
    await this.client.query('SAVEPOINT mage_key');
    try {
      await this.client.query(addPendingKeySql(this.dialect, table, keyColumns));
      await this.client.query('RELEASE SAVEPOINT mage_key');
    } catch (error) {
      await this.client.query('ROLLBACK TO SAVEPOINT mage_key');
      await this.client.query('RELEASE SAVEPOINT mage_key');
      // 42P16: the table has a primary key already.
      const now = (error as { code?: string }).code === '42P16' ? await describeTable(this.client, this.dialect, table) : undefined;
      if (!now || !hasUniqueKey(now, keyColumns)) {
        throw new ConnectorError(
          'PRIMARY_KEY_FAILED',
          `could not add the primary key (${keyColumns.join(', ')}) to ${table.qualified}: ${(error as Error).message}`,
          {
            stream: load.name,
            cause: error,
            hint: `the table holds rows that share a key or lack one; remove them, or drop its constraint ${PENDING_KEY_CONSTRAINT} to keep loading it without a primary key (upserts then merge by an update and an insert)`,
          },
        );
      }
      done = `found the primary key of ${table.qualified} built by another run (${reason})`;
    }
    load.deferredKey = false;
    load.plan.keyPending = false;
    load.plan.table.uniqueKeys.unshift([...keyColumns]);
    load.plan.uniqueKey = true;
    this.logger.info(`stream "${load.name}": ${done} in ${Date.now() - started} ms`);
    this.resetMode(load);
  }

  /** Commits a transaction that only added a key (nothing else was uncommitted). */
  private async commitKeyOnly(): Promise<void> {
    await this.client.query('COMMIT');
    this.inTransaction = false;
  }

  /** True while a table this run created still waits for its primary key. */
  hasDeferredWork(): boolean {
    for (const load of this.streams.values()) if (load.deferredKey) return true;
    return false;
  }

  /**
   * Sends everything buffered, merges staging tables, runs pending operations and commits. A commit that is not
   * for size (the end of the input, a quiet input's age, a SCHEMA or ACTIVATE_VERSION after the stream's rows) first
   * adds the primary keys of tables loaded without them: the load they were deferred for is over, or has paused.
   */
  async commit(reason?: CommitReason): Promise<void> {
    if (reason !== undefined && reason !== 'size' && reason !== 'session') {
      const why = { end: 'the input ended', age: 'the input paused', schema: 'a SCHEMA followed its rows', version: 'ACTIVATE_VERSION' }[
        reason
      ];
      for (const load of this.streams.values()) {
        // Sources send SCHEMAs and a first ACTIVATE_VERSION before a stream's rows: one after its rows usually
        // means the stream is done (an ACTIVATE_VERSION that must retire rows built the key already).
        if (load.deferredKey && (reason === 'end' || reason === 'age' || load.records > 0)) await this.addKey(load, why);
      }
    }
    if (this.hasUncommitted()) {
      for (const load of this.streams.values()) await this.sendPending(load);
      await this.endActive();
      if (this.pendingOps.length > 0) await this.begin();
      for (const load of this.streams.values()) {
        if (load.stagingRows === 0) continue;
        const statements = this.dialect.merge({
          target: load.plan.table,
          staging: this.staging(load),
          columns: load.plan.columns.map((c) => c.column),
          keys: load.plan.keyColumns,
          method: load.method,
          uniqueKey: load.plan.uniqueKey,
          hardDelete: this.config.hardDelete && load.method !== 'append',
        });
        for (const sql of statements) {
          try {
            await this.client.query(sql);
          } catch (error) {
            throw this.loadError(error, { load, target: 'staging' });
          }
        }
      }
      for (const sql of this.pendingOps) await this.client.query(sql);
      if (this.inTransaction) await this.client.query('COMMIT');
      this.inTransaction = false;
      this.pendingOps = [];
      for (const load of this.streams.values()) {
        load.stagingReady = false;
        load.stagingRows = 0;
        this.resetMode(load);
      }
      if (this.unitRows > 0) this.logger.debug(`committed ${this.unitRows} records`);
      this.unitRows = 0;
      this.unitBytes = 0;
    }
  }

  /** Ends the session: rolls back anything uncommitted (after a failure) and closes the connection. */
  async close(): Promise<void> {
    if (this.inTransaction) {
      this.active = undefined;
      await this.client.query('ROLLBACK').catch(() => {});
    }
    await this.client.end().catch(() => {});
  }
}

function hintFor(code: string | undefined): string {
  switch (code?.slice(0, 2)) {
    case '22':
      return 'a value does not fit its column type: fix the source data, or the stream schema (its type or sql-datatype)';
    case '23':
      return 'the rows break a constraint of the target table (a unique key other than the stream key, NOT NULL, CHECK)';
    case '42':
      return 'the target table was changed outside mage-int in a way the load cannot follow';
    default:
      return 'see the PostgreSQL message above';
  }
}
