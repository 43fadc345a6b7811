import type { DuckDBAppender } from '@duckdb/node-api';
import {
  ConnectorError,
  ProtocolError,
  RecordValidationError,
  stringifyExactJson,
  type ConflictMethod,
  type JsonSchema,
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
import { NativeChunk, type HeldBatch } from './native-chunk.js';
import { hasEraSuffix, nativePlan, nativeSelect } from './native-rows.js';
import type { Session } from './session.js';
import { fieldComment, fieldOfComment, mapColumns } from './naming.js';
import { parseDuckType, sameType, sqlType, type DuckType } from './type-map.js';

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
  private recordIndex = 0;
  rows = 0;
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
    await this.syncTable();
    this.keyColumns = this.keyProperties.map((key) => this.fieldColumns.get(key) ?? key);
  }

  /** Makes sure the table exists with the metadata columns ACTIVATE_VERSION needs. Nothing may be staged. */
  async prepareActivation(): Promise<void> {
    const before = this.metadata.size;
    this.metadata.add(TABLE_VERSION);
    if (!this.options.hardDelete) this.metadata.add(DELETED_AT);
    if (this.metadata.size !== before) await this.syncTable();
  }

  activationStatements(version: number): string[] {
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
   * loads with other values, or is big enough).
   */
  async holdNative(
    native: NativeRows,
    records: readonly RecordData[],
    context: RecordContext,
    file: string,
  ): Promise<'held' | 'refused' | 'full'> {
    if (records.length === 0 || this.options.nulCharacters !== 'keep' || native.fields.includes(DELETED_AT)) return 'refused';
    if (!this.metadata.has(TABLE_VERSION) && context.version !== undefined) return 'refused';
    const plan = nativePlan(
      native,
      this.staged.map((c) => ({ field: c.field, type: c.writer.type, constant: c.constant?.(context) })),
    );
    if (!plan || (plan.hasDates && hasEraSuffix(native.data))) return 'refused';
    const select = nativeSelect(plan, file, [`${this.chunk?.sequence ?? this.rows}::BIGINT`]);
    const chunk = this.chunk;
    if (chunk) {
      const limit = chunk.decodable && native.decode ? DECODABLE_CHUNK_BYTES : NATIVE_CHUNK_BYTES;
      if (chunk.select !== select || chunk.bytes + native.data.length > limit) return 'full';
    }
    const keys = chunk?.keys ?? new Set<unknown>();
    const taken = this.takeKeys(records, keys);
    if (taken !== 'held') return taken;
    this.chunk ??= new NativeChunk(select, file, this.rows, keys);
    await this.chunk.add(native.data, records, context, native.decode);
    this.recordIndex += records.length;
    this.rows += records.length;
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
   * Loads Parquet BATCH files (records a source wrote to files, ConnectorContext.batchFiles) into the staging table
   * with one INSERT: DuckDB reads and casts them on its threads, no record is built. `refused` when they cannot
   * load exactly as their records would (a column type without an exact cast to its column, a table change the
   * records need first, keyed rows over several files, a value DuckDB will not cast): nothing of them is staged, and
   * the caller stages their records instead.
   */
  async loadParquetBatch(paths: readonly string[], context: RecordContext, bytes: number): Promise<'loaded' | 'refused'> {
    if (paths.length === 0) return 'loaded';
    if (this.options.nulCharacters !== 'keep') return 'refused';
    if (!this.metadata.has(TABLE_VERSION) && context.version !== undefined) return 'refused';
    if (this.keyProperties.length > 0 && paths.length > 1) return 'refused';
    const files = `[${paths.map((path) => ansiQuoteLiteral(path)).join(', ')}]`;
    const described = await this.session.rows(`DESCRIBE SELECT * FROM read_parquet(${files})`);
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
    expressions.push(keyed ? `${this.rows}::BIGINT + file_row_number` : `${this.rows}::BIGINT`);
    await this.ensureStage();
    // Rows the appender holds came first.
    this.closeAppender();
    let count: number;
    try {
      count = await this.session.run(
        `INSERT INTO ${this.dialect.stagingName(this.stageRef)} SELECT ${expressions.join(', ')} FROM read_parquet(${files}${keyed ? ', file_row_number = true' : ''})`,
      );
    } catch (error) {
      if (!/Conversion Error|Invalid Input Error|Out of Range Error|Could not convert/i.test((error as Error).message)) throw error;
      this.options.logger.debug('DuckDB refused a value of the BATCH files; staging their records', {
        stream: this.stream,
        error: (error as Error).message,
      });
      return 'refused';
    }
    this.recordIndex += count;
    this.rows += count;
    this.bytes += bytes;
    return 'loaded';
  }

  /** True while native rows wait in a chunk file. */
  get holdsNative(): boolean {
    return this.chunk !== undefined;
  }

  /**
   * Inserts the chunk of native rows into the staging table. Returns the batches DuckDB refused (a value it
   * cannot read exactly; nothing of them is staged), whose records the caller stages instead.
   */
  async insertNative(): Promise<HeldBatch[] | undefined> {
    const chunk = this.chunk;
    if (!chunk) return undefined;
    this.chunk = undefined;
    try {
      await chunk.close();
      await this.ensureStage();
      // Rows the appender holds came first.
      this.closeAppender();
      await this.session.run(`INSERT INTO ${this.dialect.stagingName(this.stageRef)} ${chunk.select}`);
      return undefined;
    } catch (error) {
      if (!/Conversion Error|Invalid Input Error|Out of Range Error|Could not convert/i.test((error as Error).message)) throw error;
      this.options.logger.debug(`DuckDB refused the native rows of ${chunk.rows} records; staging the records`, {
        stream: this.stream,
        error: (error as Error).message,
      });
      this.recordIndex -= chunk.rows;
      this.rows -= chunk.rows;
      this.bytes -= chunk.bytes;
      return await chunk.batches();
    } finally {
      await chunk.discard();
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
  closeAppender(): void {
    this.appender?.closeSync();
    this.appender = undefined;
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

  /** Resets the batch counters once the batch committed. */
  committed(): void {
    this.stageReady = false;
    this.rows = 0;
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
  private async syncTable(): Promise<void> {
    this.columns ??= await this.readColumns();
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
    this.closeAppender();
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
