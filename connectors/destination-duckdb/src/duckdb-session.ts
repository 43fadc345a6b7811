import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { csvViewRecords } from '@mage-int/files';
import {
  ConnectorError,
  type BatchMessage,
  type CommitReason,
  type DestinationSession,
  type NativeRows,
  type RecordBatch,
  type RecordData,
  type SessionControl,
  type StreamInfo,
} from '@mage-int/core';
import { DuckDBDialect } from './duckdb-dialect.js';
import { SequenceClock, type RecordContext } from './metadata-columns.js';
import type { ResolvedConfig } from './options.js';
import { MEMORY, Session } from './session.js';
import { batchRelation, type BatchRelation } from './batch-relation.js';
import { parquetRecords } from './parquet-records.js';
import { StreamLoader } from './stream-loader.js';

/** What DuckDB's block cache is trimmed to after each commit (`trimCache`). */
const CACHE_TRIM = '64MB';

/**
 * The DuckDB session of the destination kit. Records are appended to per-stream staging tables as they arrive
 * (native rows go through DuckDB's CSV reader); `commit` merges every staged batch into its table in one
 * transaction. When to commit and when to release a STATE is the kit's batching writer's decision; names,
 * types, DDL and merges are the DuckDB dialect's. Memory holds one batch, never a table.
 */
export class DuckDBSession implements DestinationSession {
  private readonly streams = new Map<string, StreamLoader>();
  private readonly clock = new SequenceClock();
  private readonly dialect: DuckDBDialect;
  /** ACTIVATE_VERSION statements that run in the next commit, after the merges. */
  private pendingStatements: string[] = [];
  private committedRows = 0;
  /** Per stream, the lowest table version of the rows written this run (`null` once a row came without one). */
  private readonly oldestVersions = new Map<string, number | null>();
  private tempDir?: string;

  private constructor(
    private readonly session: Session,
    private readonly config: ResolvedConfig,
    private readonly control: SessionControl,
    /** Whether commits trim DuckDB's block cache (`trimCache`): a file database this session opened itself. */
    private readonly trimsCache: boolean,
  ) {
    this.dialect = new DuckDBDialect({ lowercase: config.lowercase_identifiers });
  }

  /** Opens the database (or uses `instance`, e.g. the one a `DuckDB` object holds). */
  static async open(config: ResolvedConfig, control: SessionControl, instance?: DuckDBInstance): Promise<DuckDBSession> {
    const session = await Session.open(config.path, instance);
    // Bounds DuckDB's buffer pool, so merging into a large table spills to disk rather than growing the process, and
    // lets jemalloc's background threads return freed pages to the system (without them the process's peak crept up
    // with the table's size: 4M rows peaked ~30 MB higher; bench/README.md).
    await session.run(`SET memory_limit = ${new DuckDBDialect().quoteLiteral(config.memory_limit.trim())}`);
    await session.run('SET allocator_background_threads = true');
    return new DuckDBSession(session, config, control, instance === undefined && config.path !== MEMORY);
  }

  /**
   * DuckDB keeps every block a load wrote cached until `memory_limit` is reached, although a load never reads them
   * again, so the process grew with the table (1GB: 1M rows peaked at ~340 MB, 4M at ~510 MB). Lowering the limit
   * for a moment after a commit evicts them (they are in the file); when blocks are still pinned DuckDB refuses the
   * lower limit and the next commit tries again. Not for a `":memory:"` database (its blocks are the data) nor for
   * an instance the caller holds (its queries may want them).
   */
  private async trimCache(): Promise<void> {
    if (!this.trimsCache) return;
    try {
      await this.session.run(`SET memory_limit = '${CACHE_TRIM}'`);
    } catch {
      // still pinned: trimmed at a later commit
    }
    await this.session.run(`SET memory_limit = ${this.dialect.quoteLiteral(this.config.memory_limit.trim())}`);
  }

  /** A stream's first or changed SCHEMA: creates its table, or adds and widens columns (nothing is uncommitted). */
  async openStream(info: StreamInfo): Promise<void> {
    const known = this.streams.get(info.name);
    const loader = known ?? this.newStream(info.name);
    const ifExists = this.config.if_exists;
    if (!known && (ifExists === 'replace' || ifExists === 'fail')) await this.existingTable(loader, ifExists);
    // Mage's if_exists append: every record a new row, whatever the stream's key.
    await loader.setSchema(ifExists === 'append' ? { ...info, conflictMethod: 'append' } : info);
  }

  /** Mage's if_exists for a table already there when the run first meets its stream: `replace` drops it, `fail` stops. */
  private async existingTable(loader: StreamLoader, ifExists: 'replace' | 'fail'): Promise<void> {
    const literal = (text: string) => this.dialect.quoteLiteral(text);
    const found = await this.session.rows(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND lower(schema_name) = lower(${literal(this.config.schema)}) AND lower(table_name) = lower(${literal(loader.table)})`,
    );
    const existing = found[0]?.['table_name'];
    if (typeof existing !== 'string') return;
    const table = this.dialect.qualify({ schema: this.config.schema, name: existing });
    if (ifExists === 'fail') {
      throw new ConnectorError('TABLE_EXISTS', `table ${table} already exists and if_exists is fail`, {
        stream: loader.stream,
        field: 'if_exists',
        hint: 'drop the table, or set if_exists to replace or append',
      });
    }
    this.control.logger.info(`if_exists replace: dropping ${table} before loading it again`, { stream: loader.stream });
    await this.session.run(`DROP TABLE ${table}`);
  }

  async write(batch: RecordBatch): Promise<void> {
    const loader = this.streams.get(batch.stream) as StreamLoader;
    const context: RecordContext = { version: batch.version, timeExtracted: batch.timeExtracted, receivedAt: new Date().toISOString() };
    this.written(batch.stream, batch.version);
    if (batch.native !== undefined && (await this.holdNative(loader, batch.native, batch.records, context))) return;
    // Native rows held before go first.
    await this.settleNative(loader);
    await this.stageRecords(loader, batch.records, context, () => this.control.commit());
  }

  /**
   * Parquet BATCH files (a source's records in files, offered through `loadsBatchFiles`) go into the table or the
   * staging table in one INSERT; `parquet-view` ones (the source's own Parquet file and the view that makes its rows
   * the records: batch-relation.ts) the same, the view applied inside the INSERT, and `csv-view` ones (a CSV's
   * numbered rows, @mage-int/files) too, DuckDB's CSV reader and the files kit's conversions inside the INSERT. Files
   * that cannot load exactly that way are read back as records (through the view; a CSV through the files kit's
   * record path, which keeps exact decimals and fails on a bad value naming its file, line and field) and staged
   * like any others; a table change they need commits inside this session only (the writer's own commit, which
   * releases the STATE, skips a commit while a BATCH is being loaded, so its staged rows would be left behind).
   */
  async loadBatchFiles(message: BatchMessage, paths: readonly string[]): Promise<boolean> {
    const relation = batchRelation(message, paths);
    if (!relation) return false;
    const loader = this.streams.get(message.stream) as StreamLoader;
    const context: RecordContext = { version: message.version, receivedAt: new Date().toISOString() };
    this.written(message.stream, message.version);
    await this.settleNative(loader);
    let bytes = 0;
    for (const path of paths) bytes += (await stat(path)).size;
    if ((await loader.loadParquetBatch(relation, paths.length, context, bytes)) === 'loaded') return true;
    // A CSV through the files kit's record path over the same file (exact decimals kept, a bad value named by file,
    // line and field); Parquet through the view.
    const one = (path: string) => (paths.length === 1 ? relation : (batchRelation(message, [path]) as BatchRelation));
    const records = (path: string) =>
      relation.csv ? csvViewRecords(message.view, path, message.stream) : parquetRecords(this.session, one(path));
    for (const path of paths)
      for await (const batch of records(path)) await this.stageRecords(loader, batch, context, () => this.mergeStaged());
    return true;
  }

  uncommittedBytes(): number {
    let bytes = 0;
    for (const loader of this.streams.values()) bytes += loader.bytes;
    return bytes;
  }

  private written(stream: string, version: number | undefined): void {
    const oldest = this.oldestVersions.get(stream);
    if (oldest === null) return;
    this.oldestVersions.set(stream, version === undefined ? null : oldest === undefined ? version : Math.min(oldest, version));
  }

  /** Merges what is staged first, then makes sure the columns it needs exist; the statement runs in the commit that follows. */
  async activateVersion(stream: string, version: number): Promise<void> {
    const loader = this.streams.get(stream) as StreamLoader;
    await this.mergeStaged();
    await loader.prepareActivation();
    this.pendingStatements.push(...loader.activationStatements(version, this.oldestVersions.get(stream)));
  }

  async commit(reason?: CommitReason): Promise<void> {
    const before = this.committedRows;
    const statements = this.pendingStatements.splice(0);
    await this.mergeStaged(statements);
    // The last commit is followed by close, which frees the cache anyway (evicting it first cost 0.02-0.07 s after a
    // 1M-row load), and a commit that wrote nothing (the first ACTIVATE_VERSION's) left nothing to evict.
    if (reason !== 'end' && (this.committedRows > before || statements.length > 0)) await this.trimCache();
  }

  /** Ends the session; after a clean load it folds the write-ahead log into the file, so the file stands alone. */
  async close(failed: boolean): Promise<void> {
    await this.removeTempDir();
    await this.session.close(!failed && this.config.path !== MEMORY);
    if (!failed)
      this.control.logger.info(`loaded ${this.committedRows} records into ${this.config.path}`, {
        tables: [...this.streams.values()].map((s) => s.table),
      });
  }

  private newStream(stream: string): StreamLoader {
    const loader = new StreamLoader(this.session, stream, {
      schema: this.config.schema,
      index: this.streams.size,
      dialect: this.dialect,
      hardDelete: this.config.hard_delete,
      addMetadataColumns: this.config.add_record_metadata,
      interpretContentEncoding: this.config.interpret_content_encoding,
      nulCharacters: this.config.nul_characters,
      logger: this.control.logger,
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

  /** Hands a batch's native rows to the stream (inserting its full chunk first); false when the records must be staged. */
  private async holdNative(
    loader: StreamLoader,
    native: NativeRows,
    records: readonly RecordData[],
    context: RecordContext,
  ): Promise<boolean> {
    const dir = await this.nativeDir();
    let outcome = await loader.holdNative(native, records, context, dir);
    if (outcome === 'full' || outcome === 'next') {
      // `next`: the full chunk goes in the background while this batch starts the next one.
      await this.settleNative(loader, outcome === 'full');
      outcome = await loader.holdNative(native, records, context, dir);
    }
    return outcome === 'held';
  }

  /**
   * Inserts the native rows a stream holds; batches DuckDB refuses are staged from their records. A table change
   * they need commits inside this session only: the writer releases no STATE until its own commit, after them all.
   */
  private async settleNative(loader: StreamLoader, wait = true): Promise<void> {
    const refused = await loader.insertNative(wait);
    for (const batch of refused ?? []) await this.stageRecords(loader, batch.records, batch.context, () => this.mergeStaged());
  }

  /** Stages records one by one; when a value needs the table changed, commits what is staged (`commit`), changes it, and goes on. */
  private async stageRecords(
    loader: StreamLoader,
    records: readonly RecordData[],
    context: RecordContext,
    commit: () => Promise<void>,
  ): Promise<void> {
    await loader.ready();
    for (const record of records) {
      let change = loader.stage(record, context);
      while (change !== undefined) {
        await commit();
        await loader.apply(change);
        await loader.ready();
        change = loader.stage(record, context);
      }
    }
  }

  /** One transaction: every stream's staged batch merged, then `extra` statements (ACTIVATE_VERSION). */
  private async mergeStaged(extra: string[] = []): Promise<void> {
    for (const loader of this.streams.values()) if (loader.holdsNative) await this.settleNative(loader);
    const dirty = [...this.streams.values()].filter((s) => s.rows > 0);
    if (dirty.length === 0 && extra.length === 0 && !this.session.inWindow) return;
    const started = Date.now();
    for (const loader of dirty) await loader.closeAppender();
    // Rows loaded straight into their tables since the last commit are in the same transaction.
    await this.session.transaction(async () => {
      for (const loader of dirty) for (const sql of await loader.mergeStatements()) await this.session.run(sql);
      for (const sql of extra) await this.session.run(sql);
    });
    const touched = [...this.streams.values()].filter((s) => s.rows > 0 || s.directRows > 0);
    const rows = touched.reduce((sum, s) => sum + s.rows + s.directRows, 0);
    for (const loader of touched) loader.committed(loader.rows > 0);
    this.committedRows += rows;
    this.control.logger.debug(`committed ${rows} records`, { streams: touched.map((s) => s.stream), ms: Date.now() - started });
  }

  /** The directory native rows pass through on their way to DuckDB's reader (a temp dir of this load). */
  private async nativeDir(): Promise<string> {
    this.tempDir ??= await mkdtemp(join(tmpdir(), 'mage-duckdb-'));
    return this.tempDir;
  }

  private async removeTempDir(): Promise<void> {
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }
}
