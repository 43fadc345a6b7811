import { join } from 'node:path';
import type { DuckDBAppender } from '@duckdb/node-api';
import {
  ConnectorError,
  ProtocolError,
  RecordValidationError,
  risingCopyTextKeys,
  risingRecordKeys,
  stringifyExactJson,
  type ConflictMethod,
  type JsonSchema,
  type KeyOrder,
  type KeyValue,
  type Logger,
  type NativeRows,
  type RecordData,
  type StreamInfo,
} from '@mage-int/core';
import {
  ansiQuoteLiteral,
  base16Error,
  quoteIdentifier,
  columnType,
  METADATA_COLUMNS,
  normalizeIdentifier,
  type MetadataColumn,
  type TableRef,
} from '@mage-int/core/sql';
import {
  appendInteger,
  Base16Rejected,
  columnWriter,
  NeedsWiderType,
  NulRejected,
  ValueRejected,
  type ColumnWriter,
  type NulPolicy,
} from './column-writer.js';
import type { DuckDBDialect } from './duckdb-dialect.js';
import {
  BATCHED_AT,
  DELETED_AT,
  isMetadataColumn,
  metadataValue,
  TABLE_VERSION,
  type RecordContext,
  type SequenceClock,
} from './metadata-columns.js';
import type { BatchRelation } from './batch-relation.js';
import { NativeChunk, type HeldBatch } from './native-chunk.js';
import { hasEraSuffix, nativePlan, nativeSelect } from './native-rows.js';
import type { Session } from './session.js';
import { fieldComment, fieldOfComment, mapColumns } from './naming.js';
import { parseDuckType, sameType, sqlType, type DuckType } from './type-map.js';

/** DuckDB's row group size (rows): the table's storage unit. */
const DUCKDB_ROW_GROUP_ROWS = 122_880;

export interface StreamLoaderOptions {
  schema: string;
  /** Tells the streams of one session apart (staging table names). */
  index: number;
  dialect: DuckDBDialect;
  hardDelete: boolean;
  addMetadataColumns: boolean;
  interpretContentEncoding: boolean;
  nulCharacters: NulPolicy;
  logger: Logger;
  clock: SequenceClock;
}

/**
 * Native rows gathered before one INSERT reads them, while the chunk keeps its batches' records (a few source
 * batches' worth: the records held cost heap and garbage collection).
 */
const NATIVE_CHUNK_BYTES = 2 * 1024 * 1024;
/**
 * The same when the source can decode the rows again (NativeRows.decode): no record is held, only the file grows,
 * and a few large statements cost DuckDB much less than many small ones. A commit inserts the chunk anyway.
 */
const DECODABLE_CHUNK_BYTES = 256 * 1024 * 1024;
/**
 * Decodable rows going straight into the table: DuckDB inserts a chunk in the background while the next one is
 * written, so chunks are a fraction of a commit (the last one of a commit is inserted while the source waits).
 */
const DIRECT_CHUNK_BYTES = 8 * 1024 * 1024;

/** A change the table needs before a record can be staged. */
export type TableChange = { kind: 'widen'; column: string; field: string; to: DuckType } | { kind: 'metadata'; name: MetadataColumn };

interface StagedColumn {
  column: string;
  /** The record field (or metadata column) it is filled from. */
  field: string;
  writer: ColumnWriter;
  value: (record: RecordData, context: RecordContext) => unknown;
  /** Metadata columns: the SQL value for every row of a batch loaded from native rows. */
  constant?: (context: RecordContext) => string;
}

interface TableColumn {
  name: string;
  type: DuckType;
  /** The field the column holds, per its comment (null: the field named like the column). */
  field: string | null;
}

/**
 * Everything about one stream: its table (created, extended and widened as the schema evolves), the
 * staging table records are appended to, and the statements that merge a batch into the table.
 */
export class StreamLoader {
  readonly table: string;
  readonly target: string;
  private readonly ref: TableRef;
  private readonly stageRef: TableRef;
  private method: ConflictMethod = 'append';
  private jsonSchema: JsonSchema = { properties: {} };
  private keyProperties: string[] = [];
  private keyColumns: string[] = [];
  /** Field → column, kept for the whole run so a reordered schema never moves data between columns. */
  private readonly fieldColumns = new Map<string, string>();
  /** The table's columns by lower-case name (DuckDB names are case-insensitive); undefined until read. */
  private columns?: Map<string, TableColumn>;
  private readonly metadata = new Set<MetadataColumn>();
  private staged: StagedColumn[] = [];
  private prepared: unknown[] = [];
  private appender?: DuckDBAppender;
  /** The staging table exists (it is dropped with each merge). */
  private stageReady = false;
  /** Native rows waiting for DuckDB's reader. */
  private chunk?: NativeChunk;
  /** The chunk DuckDB is inserting (in the background, while the next one is written). */
  private inflight?: { chunk: NativeChunk; done: Promise<number> };
  /** Chunk files made so far (each chunk has a file of its own: a direct load's file stays until the commit). */
  private chunkFiles = 0;
  private recordIndex = 0;
  /** The table held no row when this run first saw it (or the run created it). */
  private emptyAtStart = false;
  /** A keyed stream met a key not above the last one loaded straight into the table: it stages for the rest of the run. */
  private conflicted = false;
  /** The last key loaded straight into the table in this run (keys must rise for that). */
  private lastKey: KeyValue | undefined;
  /** Rows staged since the last commit (merged by it). */
  rows = 0;
  /** Rows loaded straight into the table since the last commit (inside the transaction the commit ends). */
  directRows = 0;
  bytes = 0;

  constructor(
    private readonly session: Session,
    readonly stream: string,
    private readonly options: StreamLoaderOptions,
  ) {
    this.table = normalizeIdentifier(stream, options.dialect.identifiers);
    this.ref = { schema: options.schema, name: this.table };
    this.target = options.dialect.qualify(this.ref);
    this.stageRef = options.dialect.stagingTable(this.ref, options.index);
  }

  private get dialect(): DuckDBDialect {
    return this.options.dialect;
  }

  /** Takes a (new) SCHEMA: creates the table, or adds and widens its columns. Nothing may be staged. */
  async setSchema(info: StreamInfo): Promise<void> {
    this.jsonSchema = info.schema;
    this.keyProperties = info.keyProperties;
    this.method = info.conflictMethod;
    const properties = Object.keys(info.schema.properties ?? {});
    if (this.options.addMetadataColumns) for (const name of METADATA_COLUMNS) this.metadata.add(name);
    for (const field of properties) if (isMetadataColumn(field)) this.metadata.add(field);
    const first = this.columns === undefined;
    await this.syncTable(first);
    this.keyColumns = this.keyProperties.map((key) => this.fieldColumns.get(key) ?? key);
  }

  /**
   * True when rows may go straight into the table inside the commit's transaction instead of through the staging
   * table and a merge: always for appends (what the merge would do), and for upserts and ignores of a single key
   * while the table held nothing before this run, no row of the stream is staged since the last commit, and every
   * key loaded so far rose (so none can be in the table yet). Deletes never load this way (native rows and BATCH
   * files carrying `_sdc_deleted_at` take the records).
   */
  private directLoad(): boolean {
    if (this.keyProperties.length === 0 || this.method === 'append') return true;
    if (this.method !== 'upsert' && this.method !== 'ignore') return false;
    return this.emptyAtStart && !this.conflicted && this.rows === 0 && this.keyProperties.length === 1;
  }

  /**
   * For a keyed direct load: the batch's last key when its keys rise above every key loaded straight into the table
   * so far — read from the COPY text when the batch has one (reading every record would decode them all), else from
   * the records; undefined when they do not, or when the key column's values cannot be compared that way (core's
   * KeyOrder: integers and doubles as numbers, text as strings; not decimals, which round, nor timestamps, whose
   * distinct spellings can be one instant).
   */
  private risingKeys(records: readonly RecordData[], native?: NativeRows): { last: KeyValue | undefined } | undefined {
    const field = this.keyProperties[0] as string;
    const kind = this.columns?.get((this.keyColumns[0] as string).toLowerCase())?.type.kind;
    const order: KeyOrder | undefined =
      kind === 'BIGINT' || kind === 'HUGEINT' || kind === 'DOUBLE' ? 'number' : kind === 'VARCHAR' ? 'text' : undefined;
    if (order === undefined) return undefined;
    const column = native ? native.fields.indexOf(field) : -1;
    return native && column >= 0
      ? risingCopyTextKeys(native.data, column, order, this.lastKey)
      : risingRecordKeys(records, field, order, this.lastKey);
  }

  /** The columns a direct load fills: the staged ones, and `_sdc_batched_at` (the commit's `now()`). */
  private directColumns(): { columns: string; extra: string[] } {
    const batchedAt = this.metadata.has(BATCHED_AT) ? this.columns?.get(BATCHED_AT)?.name : undefined;
    const names = [...this.staged.map((c) => c.column), ...(batchedAt ? [batchedAt] : [])];
    return { columns: names.map((n) => this.dialect.quoteIdentifier(n)).join(', '), extra: batchedAt ? ['now()'] : [] };
  }

  /** Makes sure the table exists with the metadata columns ACTIVATE_VERSION needs. Nothing may be staged. */
  async prepareActivation(): Promise<void> {
    const before = this.metadata.size;
    this.metadata.add(TABLE_VERSION);
    if (!this.options.hardDelete) this.metadata.add(DELETED_AT);
    if (this.metadata.size !== before) await this.syncTable();
  }

  /**
   * The statements removing rows older than `version`; none when the table held nothing before this run and every
   * row written since carries `version` or a later one (`oldestWritten`: the lowest version written, `null` when a
   * row had none, `undefined` when nothing was written), so scanning the whole table would change nothing.
   */
  activationStatements(version: number, oldestWritten: number | null | undefined): string[] {
    if (this.emptyAtStart && (oldestWritten === undefined || (oldestWritten !== null && oldestWritten >= version))) return [];
    return this.dialect.activateVersion(this.ref, version, this.options.hardDelete);
  }

  /** Applies a change `stage` asked for. Nothing may be staged. */
  async apply(change: TableChange): Promise<void> {
    if (change.kind === 'metadata') {
      this.metadata.add(change.name);
      return this.syncTable();
    }
    const current = this.columns?.get(change.column.toLowerCase());
    if (!current) throw new Error(`column ${change.column} of ${this.target} vanished`);
    const widened = this.dialect.widen(current.type, change.to);
    if (sameType(widened, current.type)) {
      throw new ConnectorError('COLUMN_NOT_WIDENED', `column "${current.name}" (${sqlType(current.type)}) cannot hold the value`, {
        stream: this.stream,
        field: change.field,
      });
    }
    await this.alterType(current, widened, change.field);
    this.buildStaged();
  }

  /** Creates the staging table when this batch has none yet. */
  private async ensureStage(): Promise<void> {
    if (this.stageReady) return;
    for (const sql of this.dialect.createStaging(
      this.stageRef,
      this.ref,
      this.staged.map((c) => c.column),
    ))
      await this.session.run(sql);
    this.stageReady = true;
  }

  /** Creates the staging table and its appender when this batch has none yet. */
  async ready(): Promise<void> {
    if (this.appender) return;
    await this.ensureStage();
    this.appender = await this.session.appender(this.stageRef.name, 'main', 'temp');
  }

  /**
   * Takes a batch as the source database's own rows (PostgreSQL COPY text), which DuckDB's CSV reader will
   * parse on its threads: no record is converted here. The rows gather in a chunk file until `insertNative`.
   * `refused` when they cannot load exactly as the records would (a type pair without an exact text form, a
   * table change the records need first, a key missing or repeated within the batch, years BC): the caller
   * stages the records. `full` when the open chunk must be inserted first (it holds one of the batch's keys,
   * loads with other values, or is big enough); `next` when a full chunk going straight into the table may be
   * inserted while the batch starts the next one.
   */
  async holdNative(
    native: NativeRows,
    records: readonly RecordData[],
    context: RecordContext,
    dir: string,
  ): Promise<'held' | 'refused' | 'full' | 'next'> {
    if (records.length === 0 || this.options.nulCharacters !== 'keep' || native.fields.includes(DELETED_AT)) return 'refused';
    if (!this.metadata.has(TABLE_VERSION) && context.version !== undefined) return 'refused';
    const plan = nativePlan(
      native,
      this.staged.map((c) => ({ field: c.field, type: c.writer.type, constant: c.constant?.(context) })),
    );
    if (!plan || (plan.hasDates && hasEraSuffix(native.data))) return 'refused';
    const keyed = this.keyProperties.length > 0 && this.method !== 'append';
    let rising: { last: KeyValue | undefined } | undefined;
    let direct = this.directLoad();
    if (direct && keyed) {
      rising = this.risingKeys(records, native);
      if (!rising) {
        this.conflicted = true;
        direct = false;
        this.options.logger.debug(`stream "${this.stream}": a key did not rise; staging and merging into ${this.target} from now on`);
      }
    }
    const chunk = this.chunk;
    const file = chunk?.file ?? join(dir, `${this.table}.${this.chunkFiles}.tsv`);
    let statement: string;
    if (direct) {
      const { columns, extra } = this.directColumns();
      statement = `INSERT INTO ${this.target} (${columns}) ${nativeSelect(plan, file, extra)}`;
    } else {
      const select = nativeSelect(plan, file, [`${chunk?.sequence ?? this.rows}::BIGINT`]);
      statement = `INSERT INTO ${this.dialect.stagingName(this.stageRef)} ${select}`;
    }
    if (chunk) {
      const limit = !(chunk.decodable && native.decode) ? NATIVE_CHUNK_BYTES : chunk.direct ? DIRECT_CHUNK_BYTES : DECODABLE_CHUNK_BYTES;
      // A different statement waits for the chunk (a refused chunk's records must be staged before later rows);
      // a full direct chunk of the same one is inserted while the next fills.
      if (chunk.statement !== statement) return 'full';
      if (chunk.bytes + native.data.length > limit) return chunk.direct ? 'next' : 'full';
    }
    // Direct keyed rows rise (distinct by that); staged ones may hold a key once per chunk.
    const keys = chunk?.keys ?? new Set<unknown>();
    if (!direct) {
      const taken = this.takeKeys(records, keys);
      if (taken !== 'held') return taken;
    } else if (rising) this.lastKey = rising.last;
    if (!this.chunk) {
      this.chunk = new NativeChunk(statement, file, this.rows, keys, direct);
      this.chunkFiles++;
    }
    await this.chunk.add(native.data, records, context, native.decode);
    this.recordIndex += records.length;
    if (direct) this.directRows += records.length;
    else this.rows += records.length;
    this.bytes += native.data.length;
    return 'held';
  }

  /**
   * Adds the records' keys to the chunk's `keys` (one lookup and one insert per record). Nothing is added when
   * a record lacks its key or two records of the batch share one (`refused`: the records decide), or when a
   * key is in the chunk already (`full`: its rows share one sequence number, so the chunk must go first).
   */
  private takeKeys(records: readonly RecordData[], keys: Set<unknown>): 'held' | 'refused' | 'full' {
    if (this.keyProperties.length === 0) return 'held';
    let i = 0;
    let id: unknown;
    for (; i < records.length; i++) {
      id = this.keyId(records[i] as RecordData);
      if (id === undefined || keys.has(id)) break;
      keys.add(id);
    }
    if (i === records.length) return 'held';
    for (let j = 0; j < i; j++) keys.delete(this.keyId(records[j] as RecordData));
    return id !== undefined && keys.has(id) ? 'full' : 'refused';
  }

  /**
   * Loads Parquet BATCH files (records a source wrote to files, ConnectorContext.batchFiles, or a source's own file
   * through a view: batch-relation.ts) into the table or the staging table with one INSERT: DuckDB reads and casts them on its threads, no record is built. `refused` when they cannot
   * load exactly as their records would (a column type without an exact cast to its column, a table change the
   * records need first, keyed rows over several files, a value DuckDB will not cast): nothing of them is staged, and
   * the caller stages their records instead.
   */
  async loadParquetBatch(relation: BatchRelation, files: number, context: RecordContext, bytes: number): Promise<'loaded' | 'refused'> {
    if (files === 0) return 'loaded';
    if (this.options.nulCharacters !== 'keep') return 'refused';
    if (!this.metadata.has(TABLE_VERSION) && context.version !== undefined) return 'refused';
    if (this.keyProperties.length > 0 && files > 1) return 'refused';
    const described = await this.session.rows(`DESCRIBE SELECT * FROM ${relation.records}`);
    const types = new Map(described.map((row) => [String(row['column_name']), parseDuckType(String(row['column_type']))]));
    if ([...types.keys()].some((name) => isMetadataColumn(name))) return 'refused';
    const expressions: string[] = [];
    for (const column of this.staged) {
      const constant = column.constant?.(context);
      if (constant !== undefined) {
        expressions.push(constant);
        continue;
      }
      const type = types.get(column.field);
      const target = sqlType(column.writer.type);
      if (!type) expressions.push(`NULL::${target}`);
      else if (castsExactly(type, column.writer.type)) expressions.push(`CAST(${quoteIdentifier(column.field)} AS ${target})`);
      else return 'refused';
    }
    // Keyed rows keep their file order (the merge keeps a key's last row); one file, so file_row_number is that order.
    const keyed = this.keyProperties.length > 0;
    // A CSV read in parallel has no row order (its records go through the staging instead).
    if (keyed && relation.csv) return 'refused';
    // Appends go straight into the table, inside the commit's transaction (keyed files take the merge).
    const direct = (!keyed || this.method === 'append') && this.directLoad();
    let statement: string;
    if (direct) {
      const { columns, extra } = this.directColumns();
      statement = `INSERT INTO ${this.target} (${columns}) SELECT ${[...expressions, ...extra].join(', ')} FROM ${relation.records}`;
    } else {
      expressions.push(keyed ? `${this.rows}::BIGINT + file_row_number` : `${this.rows}::BIGINT`);
      await this.ensureStage();
      statement = `INSERT INTO ${this.dialect.stagingName(this.stageRef)} SELECT ${expressions.join(', ')} FROM ${keyed ? relation.numbered : relation.records}`;
    }
    // Rows the appender holds came first.
    await this.closeAppender();
    let count: number;
    try {
      // The files go once this returns: a direct load of them cannot run again (DuckDB commits the window before the next refusable statement).
      count = await this.session.attempt(statement, {
        window: direct,
        unordered: direct && !keyed && (relation.csv === true || !(await this.rowGroupsFit(relation))),
      });
    } catch (error) {
      const message = (error as Error).message;
      // A CSV read on many threads under a small memory_limit (4 threads at 96MB did) goes record by record instead.
      const refused = /Conversion Error|Invalid Input Error|Out of Range Error|Could not convert/i.test(message);
      if (!refused && !(relation.csv && /Out of Memory Error/i.test(message))) throw error;
      this.options.logger.debug('DuckDB refused a value of the BATCH files; staging their records', {
        stream: this.stream,
        error: (error as Error).message,
      });
      return 'refused';
    }
    this.recordIndex += count;
    if (direct) this.directRows += count;
    else this.rows += count;
    this.bytes += bytes;
    return 'loaded';
  }

  /**
   * True when every row group of the files but each file's last holds exactly DuckDB's own row group size: an ordered
   * INSERT then takes them as they are. Other sizes (a CSV's BATCH files have 100,000-row groups) it re-chunks in file
   * order, and an append, whose rows need no order, is then inserted with `preserve_insertion_order` off, both threads
   * at once: a 1M-row CSV's BATCH files 0.54 s, 1.0 s CPU instead of 1.03-1.09 s, 1.6-1.7 s CPU (alone). For files that
   * fit, turning the order off saved nothing and cost ~100 MB of peak RSS (a 1M-row Parquet file's view).
   */
  private async rowGroupsFit(relation: BatchRelation): Promise<boolean> {
    const groups = await this.session.rows(
      `SELECT count(*) FILTER (WHERE n <> ${DUCKDB_ROW_GROUP_ROWS} AND NOT last) AS misfits FROM (SELECT any_value(row_group_num_rows) AS n, row_group_id = max(row_group_id) OVER (PARTITION BY file_name) AS last FROM parquet_metadata(${relation.files}) GROUP BY file_name, row_group_id)`,
    );
    return Number(groups[0]?.['misfits'] ?? 1) === 0;
  }

  /** True while native rows wait in a chunk file or DuckDB is inserting a chunk. */
  get holdsNative(): boolean {
    return this.chunk !== undefined || this.inflight !== undefined;
  }

  /**
   * Inserts the chunk of native rows (into the table or the staging table). Returns the batches DuckDB refused (a
   * value it cannot read exactly; nothing of them is loaded), whose records the caller stages instead. With `wait`
   * false, a chunk going straight into the table is inserted in the background (DuckDB's threads) while the next one
   * is written, after the one before it finished: the batches refused are then those of the one before.
   */
  async insertNative(wait = true): Promise<HeldBatch[] | undefined> {
    const refused = await this.settleInflight();
    const chunk = this.chunk;
    if (!chunk) return refused;
    this.chunk = undefined;
    await chunk.close();
    if (!chunk.direct) await this.ensureStage();
    // Rows the appender holds came first.
    await this.closeAppender();
    // A direct chunk's file stays until the commit ends its transaction (DuckDB reads it again if a later chunk is refused).
    const done = this.session[wait ? 'attempt' : 'background'](
      chunk.statement,
      chunk.direct ? { replay: true, ended: () => chunk.discard() } : {},
    );
    this.inflight = { chunk, done };
    if (!wait) return refused;
    const now = await this.settleInflight();
    return refused || now ? [...(refused ?? []), ...(now ?? [])] : undefined;
  }

  /** Waits for the chunk DuckDB is inserting; returns its batches when DuckDB refused them. */
  private async settleInflight(): Promise<HeldBatch[] | undefined> {
    const inflight = this.inflight;
    if (!inflight) return undefined;
    this.inflight = undefined;
    const { chunk, done } = inflight;
    let keep = false;
    try {
      await done;
      keep = chunk.direct;
      return undefined;
    } catch (error) {
      if (!/Conversion Error|Invalid Input Error|Out of Range Error|Could not convert/i.test((error as Error).message)) throw error;
      this.options.logger.debug(`DuckDB refused the native rows of ${chunk.rows} records; staging the records`, {
        stream: this.stream,
        error: (error as Error).message,
      });
      this.recordIndex -= chunk.rows;
      if (chunk.direct) this.directRows -= chunk.rows;
      else this.rows -= chunk.rows;
      this.bytes -= chunk.bytes;
      return await chunk.batches();
    } finally {
      if (!keep) await chunk.discard();
    }
  }

  /** A record's key as one Map key; undefined when a key property is missing. */
  private keyId(record: RecordData): unknown {
    const keys = this.keyProperties;
    if (keys.length === 1) {
      const value = record[keys[0] as string];
      if (value === null || value === undefined) return undefined;
      return typeof value === 'object' ? stringifyExactJson(value) : value;
    }
    const values = keys.map((key) => record[key]);
    return values.some((value) => value === null || value === undefined) ? undefined : stringifyExactJson(values);
  }

  /**
   * Appends one record to the staging table, or returns the table change it needs first (a value too wide
   * for its column, a metadata column not there yet). Throws on values that contradict the schema.
   */
  stage(record: RecordData, context: RecordContext): TableChange | undefined {
    const appender = this.appender;
    if (!appender) throw new Error('stage() before ready()');
    if (!this.metadata.has(DELETED_AT) && record[DELETED_AT] != null) return { kind: 'metadata', name: DELETED_AT };
    if (!this.metadata.has(TABLE_VERSION) && context.version !== undefined) return { kind: 'metadata', name: TABLE_VERSION };
    for (const key of this.keyProperties) {
      if (record[key] == null) {
        throw new ProtocolError('MISSING_KEY_PROPERTY', `key property "${key}" is missing`, {
          stream: this.stream,
          record: this.recordIndex,
          field: key,
        });
      }
    }
    const { staged, prepared } = this;
    let bytes = 0;
    for (let i = 0; i < staged.length; i++) {
      const column = staged[i] as StagedColumn;
      const value = column.value(record, context);
      let out: unknown = null;
      if (value != null) {
        try {
          out = column.writer.prepare(value);
        } catch (error) {
          throw this.valueError(error, record, column.field);
        }
        if (out instanceof NeedsWiderType) return { kind: 'widen', column: column.column, field: column.field, to: out.to };
        bytes += typeof out === 'string' ? out.length : out instanceof Uint8Array ? out.byteLength : 8;
      }
      prepared[i] = out;
    }
    for (let i = 0; i < staged.length; i++) {
      const out = prepared[i];
      try {
        if (out === null) appender.appendNull();
        else (staged[i] as StagedColumn).writer.append(appender, out);
      } catch (error) {
        throw this.valueError(error, record, (staged[i] as StagedColumn).field);
      }
    }
    appendInteger(appender, this.rows);
    appender.endRow();
    this.recordIndex++;
    this.rows++;
    this.bytes += bytes;
    return undefined;
  }

  /** Flushes the appender; call before merging. */
  async closeAppender(): Promise<void> {
    const appender = this.appender;
    this.appender = undefined;
    if (appender) await this.session.closeAppender(appender);
  }

  /** The statements (run inside the batch's transaction) that merge the staged rows and drop the staging table. */
  async mergeStatements(): Promise<string[]> {
    const batchedAt = this.metadata.has(BATCHED_AT) ? this.columns?.get(BATCHED_AT)?.name : undefined;
    const columns = [...this.staged.map((c) => c.column), ...(batchedAt ? [batchedAt] : [])];
    const keyed = this.keyColumns.length > 0 && this.method !== 'append';
    const distinctKeys = keyed ? await this.distinctKeys() : true;
    let method = keyed ? this.method : 'append';
    let merge: string[] | undefined;
    // No staged key is in the table yet (a first load): under upsert and ignore every row is new, which DuckDB
    // inserts for much less than a MERGE costs; update_only has nothing to do. Hard deletes take the MERGE.
    const deletes = this.options.hardDelete && columns.includes(DELETED_AT);
    if (keyed && distinctKeys && !deletes && !(await this.targetHoldsStagedKey())) {
      if (method === 'update_only') merge = [];
      else method = 'append';
    }
    merge ??= this.dialect.merge({
      target: this.ref,
      staging: this.stageRef,
      columns,
      keys: this.keyColumns,
      method,
      uniqueKey: false,
      hardDelete: this.options.hardDelete,
      distinctKeys,
    });
    return [...merge, ...this.dialect.dropStaging(this.stageRef)];
  }

  /** True when the table holds a key of the staged rows. */
  private async targetHoldsStagedKey(): Promise<boolean> {
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const on = this.keyColumns.map((k) => `t.${q(k)} = s.${q(k)}`).join(' AND ');
    const [row] = await this.session.rows(
      `SELECT EXISTS (SELECT 1 FROM ${this.dialect.stagingName(this.stageRef)} s JOIN ${this.target} t ON ${on}) AS hit`,
    );
    return row?.['hit'] === true;
  }

  /**
   * True when no key repeats among the staged rows, so the merge may skip picking the last row per key (a hash
   * count is cheaper than that window; tracking keys in JavaScript cost more in garbage collection).
   */
  private async distinctKeys(): Promise<boolean> {
    if (this.keyColumns.length === 0) return true;
    const keys = this.keyColumns.map((k) => this.dialect.quoteIdentifier(k));
    const key = keys.length === 1 ? (keys[0] as string) : `(${keys.join(', ')})`;
    const [row] = await this.session.rows(
      `SELECT count(*) = count(DISTINCT ${key}) AS distinct_keys FROM ${this.dialect.stagingName(this.stageRef)}`,
    );
    return row?.['distinct_keys'] === true;
  }

  /** Resets the batch counters once the batch committed (`merged`: its staging table was merged and dropped). */
  committed(merged: boolean): void {
    if (merged) this.stageReady = false;
    this.rows = 0;
    this.directRows = 0;
    this.bytes = 0;
  }

  private valueError(error: unknown, record: RecordData, field: string): Error {
    if (!(error instanceof ValueRejected) && !(error instanceof Error && /conver|invalid|format|could not/i.test(error.message)))
      return error as Error;
    const ref =
      this.keyProperties.length > 0
        ? stringifyExactJson(Object.fromEntries(this.keyProperties.map((k) => [k, record[k]])))
        : this.recordIndex;
    if (error instanceof Base16Rejected) return base16Error(this.stream, ref, field, error.value);
    if (error instanceof NulRejected) {
      return new RecordValidationError('NUL_CHARACTER', error.message, {
        stream: this.stream,
        record: ref,
        field,
        hint: 'set nul_characters to "keep" (DuckDB stores NUL) or "strip" to remove it',
      });
    }
    return new RecordValidationError('VALUE_NOT_LOADABLE', (error as Error).message, {
      stream: this.stream,
      record: ref,
      field,
      cause: error,
      hint: "the record does not match the type its SCHEMA declares for this field; fix the source's schema or the value",
    });
  }

  /** Brings the table in line with the schema and active metadata columns, then rebuilds the staging layout. */
  private async syncTable(first = false): Promise<void> {
    this.columns ??= await this.readColumns();
    // Whether keyed rows may load straight into the table, and whether ACTIVATE_VERSION has older rows to remove: the
    // table must hold nothing yet (a table this run creates does not).
    if (first && this.columns.size > 0) {
      const [row] = await this.session.rows(`SELECT NOT EXISTS (SELECT 1 FROM ${this.target}) AS empty`);
      this.emptyAtStart = row?.['empty'] === true;
    } else if (first) this.emptyAtStart = this.columns.size === 0;
    // Metadata columns a table already has keep being filled (a revived row must lose its _sdc_deleted_at).
    for (const name of METADATA_COLUMNS) if (this.columns.has(name)) this.metadata.add(name);
    const wanted = this.wantedColumns();
    if (this.columns.size === 0) {
      const definitions = wanted.map(({ column, type, field }) => ({ name: column, type, ...commentOf(field, column) }));
      for (const sql of [
        ...this.dialect.createSchema(this.options.schema),
        ...this.dialect.createTable(this.ref, definitions, this.keyColumns),
      ])
        await this.session.run(sql);
      for (const { column, type, field } of wanted) this.columns.set(column.toLowerCase(), { name: column, type, field });
      this.options.logger.info(`created table ${this.options.schema}.${this.table}`, { stream: this.stream, columns: wanted.length });
    } else {
      for (const { column, type, field } of wanted) {
        const current = this.columns.get(column.toLowerCase());
        if (!current) {
          for (const sql of this.dialect.addColumn(this.ref, { name: column, type, ...commentOf(field, column) }))
            await this.session.run(sql);
          this.columns.set(column.toLowerCase(), { name: column, type, field });
          this.options.logger.info(`added column ${this.table}.${column} ${sqlType(type)}`, { stream: this.stream });
          continue;
        }
        const widened = this.dialect.widen(current.type, type);
        if (!sameType(widened, current.type)) await this.alterType(current, widened, field);
      }
    }
    this.buildStaged();
  }

  private async alterType(current: TableColumn, to: DuckType, field: string): Promise<void> {
    this.options.logger.info(`widening column ${this.table}.${current.name} from ${sqlType(current.type)} to ${sqlType(to)}`, {
      stream: this.stream,
      field,
    });
    for (const sql of this.dialect.alterColumnType(this.ref, current.name, current.type, to)) await this.session.run(sql);
    current.type = to;
  }

  private async readColumns(): Promise<Map<string, TableColumn>> {
    const literal = (text: string) => this.dialect.quoteLiteral(text);
    const rows = await this.session.rows(
      `SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() AND lower(schema_name) = lower(${literal(this.options.schema)}) AND lower(table_name) = lower(${literal(this.table)}) ORDER BY column_index`,
    );
    return new Map(
      rows.map((row) => {
        const name = String(row['column_name']);
        return [
          name.toLowerCase(),
          {
            name,
            type: parseDuckType(String(row['data_type'])),
            field: fieldOfComment(typeof row['comment'] === 'string' ? row['comment'] : null),
          },
        ];
      }),
    );
  }

  /** Columns the schema asks for, in schema order, then the active metadata columns. */
  private wantedColumns(): { column: string; field: string; type: DuckType }[] {
    const out: { column: string; field: string; type: DuckType }[] = [];
    const fields = Object.keys(this.jsonSchema.properties ?? {}).filter((field) => !isMetadataColumn(field));
    const owners = new Map<string, string | null>();
    for (const [key, column] of this.columns ?? []) owners.set(key, column.field);
    for (const name of METADATA_COLUMNS) owners.set(name, name);
    for (const [field, column] of this.fieldColumns) owners.set(column.toLowerCase(), field);
    for (const [field, column] of mapColumns(fields, owners, this.dialect.identifiers)) {
      this.fieldColumns.set(field, this.columns?.get(column.toLowerCase())?.name ?? column);
      out.push({
        column,
        field,
        type: this.dialect.columnType(this.jsonSchema.properties?.[field] ?? {}, {
          interpretContentEncoding: this.options.interpretContentEncoding,
        }),
      });
    }
    for (const name of METADATA_COLUMNS) {
      if (this.metadata.has(name)) out.push({ column: name, field: name, type: this.dialect.metadataType(name) });
    }
    return out;
  }

  /** The staging layout: every wanted column except `_sdc_batched_at` (set at merge), typed as in the table. */
  private buildStaged(): void {
    if (this.rows > 0) throw new Error(`internal: ${this.target} changed layout with ${this.rows} rows staged`);
    // Nothing is staged, and nothing runs in the background between commits.
    this.appender?.closeSync();
    this.appender = undefined;
    this.stageReady = false;
    const staged: StagedColumn[] = [];
    for (const [field, column] of this.fieldColumns) {
      const schema = this.jsonSchema.properties?.[field];
      const table = this.columns?.get(column.toLowerCase());
      if (!schema || !table) continue;
      const { contentEncoding } = columnType(schema, { interpretContentEncoding: this.options.interpretContentEncoding });
      const writer = columnWriter(table.type, { contentEncoding, nulCharacters: this.options.nulCharacters });
      staged.push({ column: table.name, field, writer, value: (record) => record[field] });
    }
    const clock = this.options.clock;
    for (const name of METADATA_COLUMNS) {
      const table = this.columns?.get(name);
      if (!this.metadata.has(name) || name === BATCHED_AT || !table) continue;
      const value = (record: RecordData, context: RecordContext) => metadataValue(name, record, context, clock);
      // Native rows carry no metadata fields: the batch's own values (one `_sdc_sequence` for the batch, whose keys are distinct).
      const constant = (context: RecordContext) => sqlLiteral(value({}, context), table.type);
      staged.push({ column: table.name, field: name, writer: columnWriter(table.type), value, constant });
    }
    this.staged = staged;
    this.prepared = new Array<unknown>(staged.length).fill(null);
  }
}

/**
 * True when every value of a BATCH file column of type `from` (the type its record values have: VARCHAR, BIGINT,
 * DOUBLE, BOOLEAN, DECIMAL; or a Parquet file's DATE / TIMESTAMP / TIMESTAMPTZ) casts to exactly what the record
 * path would store in a `to` column.
 */
function castsExactly(from: DuckType, to: DuckType): boolean {
  switch (from.kind) {
    case 'VARCHAR':
      return ['VARCHAR', 'DATE', 'TIMESTAMPTZ', 'UUID'].includes(to.kind);
    case 'BIGINT':
      return ['BIGINT', 'HUGEINT', 'VARCHAR'].includes(to.kind) || (to.kind === 'DECIMAL' && (to.precision ?? 0) - (to.scale ?? 0) >= 19);
    case 'DOUBLE':
      return to.kind === 'DOUBLE';
    // A Parquet file's own dates and timestamps (the record path carries their ISO text): same type only.
    case 'DATE':
    case 'TIMESTAMP':
    case 'TIMESTAMPTZ':
      return to.kind === from.kind;
    case 'BOOLEAN':
      return to.kind === 'BOOLEAN' || to.kind === 'VARCHAR';
    case 'DECIMAL':
      return (
        to.kind === 'VARCHAR' ||
        (to.kind === 'DECIMAL' &&
          (to.scale ?? 0) >= (from.scale ?? 0) &&
          (to.precision ?? 0) - (to.scale ?? 0) >= (from.precision ?? 0) - (from.scale ?? 0))
      );
    default:
      return false;
  }
}

/** A constant as SQL of a column's type (metadata values: timestamps as ISO text, numbers). */
function sqlLiteral(value: unknown, type: DuckType): string {
  if (value === null || value === undefined) return `NULL::${sqlType(type)}`;
  return `CAST(${ansiQuoteLiteral(String(value))} AS ${sqlType(type)})`;
}

/** The comment of a column whose name differs from its field (which field it holds survives across runs). */
function commentOf(field: string, column: string): { comment?: string } {
  const comment = fieldComment(field, column);
  return comment ? { comment } : {};
}
