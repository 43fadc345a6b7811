import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { ConnectorError, ProtocolError, type Logger, type NativeRows, type RecordData, type SourceMessage, type StateMessage, type StreamLoadOptions } from '@mage-int/core';
import { SequenceClock, type RecordContext } from './metadata-columns.js';
import { identifierRules, type ResolvedConfig } from './options.js';
import { MEMORY, Session } from './session.js';
import { StreamLoader } from './stream-loader.js';

export interface LoaderContext {
  logger: Logger;
  streams?: Record<string, StreamLoadOptions>;
}

/**
 * Loads Singer messages into DuckDB in batches. Records are appended to per-stream staging tables as they
 * arrive; a flush merges every staged batch into its table in one transaction, and only then releases the
 * STATE that followed them. Memory holds one batch, never a table.
 */
export class DuckDBLoader {
  private readonly streams = new Map<string, StreamLoader>();
  private readonly clock = new SequenceClock();
  private pendingState?: StateMessage;
  private firstBufferedAt?: number;
  private committedRows = 0;
  private closed = false;
  private tempDir?: string;
  /** Refused native rows are being staged from their records: no STATE may be released meanwhile. */
  private settling = 0;

  private constructor(
    private readonly session: Session,
    private readonly config: ResolvedConfig,
    private readonly ctx: LoaderContext,
  ) {}

  /** Opens the database (or uses `instance`, e.g. the one a `DuckDB` object holds). */
  static async open(config: ResolvedConfig, ctx: LoaderContext, instance?: DuckDBInstance): Promise<DuckDBLoader> {
    const session = await Session.open(config.path, instance);
    // Bounds DuckDB's buffer pool, so merging into a large table spills to disk rather than growing the process.
    await session.run(`SET memory_limit = '${config.memory_limit.trim()}'`);
    return new DuckDBLoader(session, config, ctx);
  }

  /** When the oldest buffered record must be committed by (batch_max_age_ms), if any is buffered. */
  get flushDeadline(): number | undefined {
    return this.firstBufferedAt === undefined ? undefined : this.firstBufferedAt + this.config.batch_max_age_ms;
  }

  /** Takes one message; returns the STATE messages that became safe to emit. */
  async handle(message: SourceMessage): Promise<StateMessage[]> {
    switch (message.type) {
      case 'SCHEMA': {
        let loader = this.streams.get(message.stream);
        if (loader && !loader.changes(message)) return [];
        const states = loader && loader.rows > 0 ? await this.flush() : [];
        loader ??= this.newStream(message.stream);
        await loader.setSchema(message);
        return states;
      }
      case 'RECORD':
        return this.records(message.stream, [message.record], { version: message.version, timeExtracted: message.time_extracted, receivedAt: new Date().toISOString() });
      case 'RECORD_BATCH':
        return this.records(message.stream, message.records, { version: message.version, timeExtracted: message.time_extracted, receivedAt: new Date().toISOString() }, message.native);
      case 'STATE':
        this.pendingState = message;
        return this.buffered().rows === 0 ? this.takeState() : [];
      case 'ACTIVATE_VERSION': {
        const loader = this.streams.get(message.stream);
        if (!loader) {
          this.ctx.logger.warn('ACTIVATE_VERSION for a stream without SCHEMA: ignored', { stream: message.stream });
          return [];
        }
        const states = await this.flush();
        await loader.prepareActivation();
        await this.commit([loader.activationStatement(message.version)]);
        return [...states, ...this.takeState()];
      }
      case 'BATCH':
        throw new ConnectorError('BATCH_NOT_SUPPORTED', 'BATCH messages are not supported by destination-duckdb', {
          stream: message.stream,
          hint: 'let the source emit RECORD messages (turn off its batch mode)',
        });
      default:
        return [];
    }
  }

  /** Commits everything buffered; returns the latest STATE, now safe to emit. */
  async flush(): Promise<StateMessage[]> {
    await this.commit([]);
    return this.takeState();
  }

  /** Flushes what is left and folds the write-ahead log into the file. */
  async finish(): Promise<StateMessage[]> {
    const states = await this.flush();
    this.closed = true;
    await this.removeTempDir();
    await this.session.close(this.config.path !== MEMORY);
    this.ctx.logger.info(`loaded ${this.committedRows} records into ${this.config.path}`, { tables: [...this.streams.values()].map((s) => s.table) });
    return states;
  }

  /** Releases the connection without committing what is staged (after a failure). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.removeTempDir();
    await this.session.close(false);
  }

  /** The file a stream's native rows pass through on their way to DuckDB's reader (in a temp dir of this load). */
  private async nativeFile(loader: StreamLoader): Promise<string> {
    this.tempDir ??= await mkdtemp(join(tmpdir(), 'mage-duckdb-'));
    return join(this.tempDir, `${loader.table}.tsv`);
  }

  private async removeTempDir(): Promise<void> {
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  private newStream(stream: string): StreamLoader {
    const loader = new StreamLoader(this.session, stream, {
      schema: this.config.schema,
      hardDelete: this.config.hard_delete,
      addMetadataColumns: this.config.add_record_metadata || this.config.add_metadata_columns,
      nulCharacters: this.config.nul_characters,
      rules: identifierRules(this.config),
      conflictMethod: this.ctx.streams?.[stream]?.conflictMethod,
      logger: this.ctx.logger,
      clock: this.clock,
    });
    const clash = [...this.streams.values()].find((other) => other.table === loader.table);
    if (clash) {
      throw new ConnectorError('TABLE_NAME_CLASH', `streams "${clash.stream}" and "${stream}" would both load into table ${loader.table}`, {
        stream,
        hint: 'rename one of the streams (a stream map or the source config), or load them into different destinations',
      });
    }
    this.streams.set(stream, loader);
    return loader;
  }

  private async records(stream: string, records: readonly RecordData[], context: RecordContext, native?: NativeRows): Promise<StateMessage[]> {
    const loader = this.streams.get(stream);
    if (!loader) {
      throw new ProtocolError('RECORD_BEFORE_SCHEMA', 'RECORD arrived before any SCHEMA for its stream', {
        stream,
        hint: 'a source must emit a SCHEMA message for a stream before its first RECORD',
      });
    }
    const states: StateMessage[] = [];
    if (native !== undefined && (await this.holdNative(loader, native, records, context))) return [...states, ...(await this.flushWhenFull())];
    // Native rows held before go first.
    await this.settleNative(loader);
    states.push(...(await this.stageRecords(loader, records, context)));
    return [...states, ...(await this.flushWhenFull())];
  }

  /** Hands a batch's native rows to the stream (inserting its full chunk first); false when the records must be staged. */
  private async holdNative(loader: StreamLoader, native: NativeRows, records: readonly RecordData[], context: RecordContext): Promise<boolean> {
    const file = await this.nativeFile(loader);
    let outcome = await loader.holdNative(native, records, context, file);
    if (outcome === 'full') {
      await this.settleNative(loader);
      outcome = await loader.holdNative(native, records, context, file);
    }
    return outcome === 'held';
  }

  /** Inserts the native rows a stream holds; batches DuckDB refuses are staged from their records. */
  private async settleNative(loader: StreamLoader): Promise<void> {
    const refused = await loader.insertNative();
    if (!refused) return;
    // Commits the refused records may need (a widened column) must not release a STATE that follows them all.
    this.settling++;
    try {
      for (const batch of refused) await this.stageRecords(loader, batch.records, batch.context);
    } finally {
      this.settling--;
    }
  }

  /** Stages records one by one, changing the table under them when a value needs it. */
  private async stageRecords(loader: StreamLoader, records: readonly RecordData[], context: RecordContext): Promise<StateMessage[]> {
    const states: StateMessage[] = [];
    await loader.ready();
    for (const record of records) {
      let change = loader.stage(record, context);
      while (change !== undefined) {
        // The table must change under the batch: commit what is staged, change it, stage again.
        states.push(...(await this.flush()));
        await loader.apply(change);
        await loader.ready();
        change = loader.stage(record, context);
      }
    }
    return states;
  }

  /** Commits when the buffered records reach batch_size_rows or batch_size_bytes. */
  private async flushWhenFull(): Promise<StateMessage[]> {
    const { rows, bytes } = this.buffered();
    if (rows > 0) this.firstBufferedAt ??= Date.now();
    return rows >= this.config.batch_size_rows || bytes >= this.config.batch_size_bytes ? this.flush() : [];
  }

  /** One transaction: every stream's staged batch merged, then `extra` statements (ACTIVATE_VERSION). */
  private async commit(extra: string[]): Promise<void> {
    for (const loader of this.streams.values()) if (loader.holdsNative) await this.settleNative(loader);
    const dirty = [...this.streams.values()].filter((s) => s.rows > 0);
    if (dirty.length === 0 && extra.length === 0) return;
    const started = Date.now();
    for (const loader of dirty) loader.closeAppender();
    await this.session.transaction(async () => {
      for (const loader of dirty) for (const sql of loader.mergeStatements()) await this.session.run(sql);
      for (const sql of extra) await this.session.run(sql);
    });
    const rows = dirty.reduce((sum, s) => sum + s.rows, 0);
    for (const loader of dirty) loader.committed();
    this.committedRows += rows;
    this.firstBufferedAt = undefined;
    this.ctx.logger.debug(`committed ${rows} records`, { streams: dirty.map((s) => s.stream), ms: Date.now() - started });
  }

  /** Records (and their estimated bytes) staged across all streams. */
  private buffered(): { rows: number; bytes: number } {
    let rows = 0;
    let bytes = 0;
    for (const loader of this.streams.values()) {
      rows += loader.rows;
      bytes += loader.bytes;
    }
    return { rows, bytes };
  }

  private takeState(): StateMessage[] {
    if (this.settling > 0) return [];
    const state = this.pendingState;
    this.pendingState = undefined;
    return state ? [state] : [];
  }
}
