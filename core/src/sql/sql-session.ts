import type { ConflictMethod } from '../connector/contract.js';
import type { DestinationSession, RecordBatch, SessionControl, StreamInfo } from '../destination/destination-session.js';
import { Decimal, JsonText, stringifyExactJson } from '../protocol/exact-json.js';
import type { NativeRows, RecordData } from '../protocol/messages.js';
import { ConnectorError, RecordValidationError } from '../errors.js';
import { columnType, type LogicalType } from './column-types.js';
import { base16Error, decodeBase16 } from './content-encoding.js';
import {
  METADATA_COLUMNS,
  METADATA_LOGICAL_TYPES,
  STAGING_DELETED,
  STAGING_SEQUENCE,
  type MetadataColumn,
  type SqlDialect,
  type TableRef,
} from './dialect.js';
import { columnNames, identifierKey, normalizeIdentifier } from './identifiers.js';

/** A table as the engine's catalog describes it. */
export interface SqlTable<Type> {
  columns: ReadonlyMap<string, Type>;
  /** Column sets of enforced unique keys (the primary key among them), when the engine has them. */
  uniqueKeys?: readonly (readonly string[])[];
}

/** A staging column to load: its name and type (the data columns, then STAGING_SEQUENCE and STAGING_DELETED). */
export interface LoadColumn<Type> {
  name: string;
  type: Type | 'sequence' | 'deleted';
}

/**
 * The engine I/O a generic SQL session needs: one connection, its transactions, a catalog lookup and a bulk
 * load into a staging table (COPY, LOAD DATA, an appender, a load job, or multi-row INSERTs). Values arrive as
 * JS values: string, number, bigint, boolean, Buffer (bytes), Date-less ISO text for dates and times, and JSON as
 * its text; `Decimal` for exact decimals (`.text`).
 */
export interface SqlConnection<Type> {
  execute(sql: string): Promise<void>;
  describeTable(table: TableRef): Promise<SqlTable<Type> | undefined>;
  loadRows(staging: TableRef, columns: readonly LoadColumn<Type>[], rows: readonly unknown[][]): Promise<void>;
  /**
   * Optional fast path: loads rows straight into their table, with no staging and no merge, where that is all the
   * merge would do — called only for append streams, and for upsert streams with an enforced unique key and no CDC
   * delete among the rows (`columns` are the data columns; each row still ends with the two staging values). Returns
   * false having changed nothing (rolled back to a savepoint) when it cannot: a key already in the table or
   * repeated in the rows. The session then stages and merges as usual.
   */
  loadDirect?(target: TableRef, columns: readonly LoadColumn<Type>[], rows: readonly unknown[][]): Promise<boolean>;
  /**
   * Optional streaming form of `loadDirect`: opens a load straight into `target` that takes rows while it runs
   * (LOAD DATA from a stream), so the source keeps reading while the engine loads and no batch is held in memory.
   * Called inside the session's transaction, for the same streams as `loadDirect`, with one load open at a time
   * (nothing else runs on the connection until it ends). Undefined: not possible now (the session buffers as
   * usual). A connection that offers it must also accept `createStaging` inside a transaction (MySQL's temporary
   * tables do), since a refused load is staged and merged before the commit.
   */
  openDirectLoad?(target: TableRef, columns: readonly LoadColumn<Type>[], native?: NativeLoad<Type>): Promise<DirectLoad<Type> | undefined>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A batch's native rows (the source database's own text, RecordBatch.native) as a direct load could take them
 * unchanged: the column each native field fills, and the values of the table's other columns (metadata, the same
 * for every row). Columns in neither are left NULL.
 */
export interface NativeLoad<Type> {
  native: NativeRows;
  /** The column of each native field, in the native order. */
  columns: LoadColumn<Type>[];
  constants: { column: LoadColumn<Type>; value: string | number | null }[];
}

/** A streaming direct load (`SqlConnection.openDirectLoad`). */
export interface DirectLoad<Type> {
  /**
   * The load takes native rows (`writeNative`) instead of rows: the connection could load the native rows it was
   * opened with unchanged. It then takes only native rows of that same form (fields, types, constants).
   */
  readonly native?: boolean;
  /** Sends native rows' data; false (nothing sent) when this data cannot go unchanged (the session ends the load). */
  writeNative?(data: Buffer): Promise<boolean>;
  /** Sends rows (each ends with the two staging values, which a direct load ignores); resolves when it may take more. */
  write(rows: readonly unknown[][]): Promise<void>;
  /**
   * Ends the load. True: every row is in the target. False: none is (rolled back: a key already in the table or
   * repeated in the rows); `stage` then loads the same rows, in order, into a staging table for the merge.
   */
  end(): Promise<boolean>;
  /** After `end` returned false: the rows into `staging`, as `loadRows` would (the data columns, sequence, delete flag). */
  stage(staging: TableRef, columns: readonly LoadColumn<Type>[]): Promise<void>;
}

/**
 * Rounds of plan, DDL, read-back for a stream's table; the last runs its DDL whatever it meets (a table that keeps
 * changing under the session is an error worth seeing, not a loop).
 */
const MAX_DDL_ATTEMPTS = 4;

/** A stream's buffered rows at which the session opens a streaming direct load for it (smaller batches just buffer). */
const STREAM_AFTER_ROWS = 1_000;

export interface SqlSessionOptions {
  /** The schema (dataset, database) tables go to. */
  schema: string;
  hardDelete: boolean;
  addRecordMetadata: boolean;
  interpretContentEncoding: boolean;
  /** Prepended to every table name before normalisation. */
  tablePrefix?: string;
  /** Mage's `table`: the pipeline's one stream loads this table (normalised as a stream name, no prefix); a second stream is refused. */
  table?: string;
  /** Mage's `skip_schema_creation`: never run CREATE SCHEMA; the schema must exist. */
  skipSchemaCreation?: boolean;
  /**
   * Mage's `truncate_table_before_full_table_sync`: a FULL_TABLE sync leaves only its own rows — rows of older
   * versions are deleted at ACTIVATE_VERSION (after the sync, not before it) even without hardDelete.
   */
  removeOldVersions?: boolean;
}

/** The settings a SQL destination's resolved config gives its session (the shared names of core/destination-settings.json). */
export interface SqlSessionSettings {
  hard_delete: boolean;
  add_record_metadata: boolean;
  interpret_content_encoding: boolean;
  table_prefix?: string;
  table?: string | null;
  skip_schema_creation?: boolean;
  truncate_table_before_full_table_sync?: boolean;
}

/** SqlSessionOptions from a resolved destination config, for tables in `schema`. */
export function sqlSessionOptions(config: SqlSessionSettings, schema: string): SqlSessionOptions {
  return {
    schema,
    hardDelete: config.hard_delete,
    addRecordMetadata: config.add_record_metadata,
    interpretContentEncoding: config.interpret_content_encoding,
    ...(config.table_prefix !== undefined ? { tablePrefix: config.table_prefix } : {}),
    ...(config.table ? { table: config.table } : {}),
    ...(config.skip_schema_creation ? { skipSchemaCreation: true } : {}),
    ...(config.truncate_table_before_full_table_sync ? { removeOldVersions: true } : {}),
  };
}

interface PlannedColumn<Type> {
  name: string;
  type: Type;
  logical: LogicalType;
  /** The record field it holds, or the metadata it is filled from. */
  source: { field: string; contentEncoding?: 'base64' | 'base16' } | { meta: MetadataColumn };
}

interface StreamPlan<Type> {
  info: StreamInfo;
  index: number;
  table: TableRef;
  columns: PlannedColumn<Type>[];
  keyColumns: string[];
  uniqueKey: boolean;
  versioned: boolean;
  rows: unknown[][];
  /** Records seen, to name one in an error. */
  records: number;
  /** The streaming direct load open for this stream, if any. */
  load?: DirectLoad<Type>;
  /** The native form (fields, types, constants) a native load of this stream was opened with. */
  nativeKey?: string;
  /** No streaming load for this stream until the next commit (a delete arrived, or the connection said no). */
  buffering: boolean;
  /**
   * The table versions (null: none) of every record loaded, when this session created the table (it held no rows
   * before): an ACTIVATE_VERSION of the only version there is then has nothing older to delete and skips its scan.
   */
  freshVersions?: Set<number | null>;
}

/**
 * A destination session for any SQL engine, from its dialect and connection: tables created and evolved from
 * each SCHEMA (names and types by the dialect, never narrowed), records buffered as rows, and on commit one
 * transaction that bulk-loads each stream into its staging table and merges it per the stream's conflict rule
 * (hard deletes and ACTIVATE_VERSION included). A destination for a new engine is its dialect, its connection
 * and this; a faster path (PostgreSQL's direct COPY) may replace it with a session of its own.
 */
export class SqlSession<Type> implements DestinationSession {
  private readonly streams = new Map<string, StreamPlan<Type>>();
  private readonly tables = new Set<string>();
  private pendingOps: string[] = [];
  private bytes = 0;
  private sequence = 0;
  /** A transaction is open (begun by the first streaming load, or by commit). */
  private inTransaction = false;
  /** The stream whose streaming load is open (one at a time on the connection). */
  private loading: StreamPlan<Type> | undefined;
  /** Staging tables created in the open transaction (dropped after its commit when DDL is not transactional). */
  private stagingCreated: TableRef[] = [];

  constructor(
    private readonly dialect: SqlDialect<Type>,
    private readonly connection: SqlConnection<Type>,
    private readonly options: SqlSessionOptions,
    private readonly control: SessionControl,
  ) {}

  async openStream(info: StreamInfo): Promise<void> {
    const known = this.streams.get(info.name);
    const plan: StreamPlan<Type> = known ?? {
      info,
      index: this.streams.size + 1,
      table: this.tableFor(info.name),
      columns: [],
      keyColumns: [],
      uniqueKey: false,
      versioned: false,
      rows: [],
      records: 0,
      buffering: false,
    };
    plan.info = info;
    await this.plan(plan);
    this.streams.set(info.name, plan);
  }

  /** A table name of its own per stream (normalised; `_2`… when two streams normalise alike). */
  private tableFor(stream: string): TableRef {
    const rules = this.dialect.identifiers;
    const { table } = this.options;
    if (table !== undefined) {
      const other = [...this.streams.keys()].find((name) => name !== stream);
      if (other !== undefined) {
        throw new ConnectorError(
          'TABLE_SECOND_STREAM',
          `"table" names one table (${table}) but streams "${other}" and "${stream}" both arrived`,
          {
            stream,
            field: 'table',
            hint: 'select one stream in the pipeline (or run one pipeline per stream), or drop "table" so each stream loads its own table (table_prefix prepends)',
          },
        );
      }
      return { schema: this.options.schema, name: normalizeIdentifier(table, rules) };
    }
    const base = normalizeIdentifier(`${this.options.tablePrefix ?? ''}${stream}`, rules);
    let name = base;
    for (let i = 2; this.tables.has(identifierKey(name, rules)); i++) name = normalizeIdentifier(`${base}_${i}`, rules);
    this.tables.add(identifierKey(name, rules));
    return { schema: this.options.schema, name };
  }

  /**
   * Works out the columns and brings the table in line: create, add, widen (never drop or narrow). Another writer
   * (a key-range task on another worker) may create or alter the same table at the same moment: DDL that lost that
   * race (`SqlDialect.lostDdlRace`) is planned again against the table as it now is, and after any DDL the table is
   * read again, so the columns the session loads are the table's own.
   */
  private async plan(plan: StreamPlan<Type>): Promise<void> {
    let created = false;
    for (let attempt = 1; ; attempt++) {
      const existing = await this.connection.describeTable(plan.table);
      const { columns, keys, statements } = this.planColumns(plan, existing);
      if (!existing && attempt === 1) {
        created = true;
        this.control.logger.info(`creating table ${this.dialect.qualify(plan.table)}`, { columns: columns.length, key: keys });
      }
      if (statements.length > 0 && attempt < MAX_DDL_ATTEMPTS) {
        try {
          for (const sql of statements) await this.connection.execute(sql);
        } catch (error) {
          if (!this.dialect.lostDdlRace?.(error)) throw error;
          this.control.logger.debug(`${this.dialect.qualify(plan.table)}: changed by another writer at the same moment, reading it again`, {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        continue;
      }
      if (statements.length > 0) for (const sql of statements) await this.connection.execute(sql);
      // A table created here (or by a writer racing this one, as new as this one) held no rows before.
      if (created) plan.freshVersions = new Set();
      const wantedKey = [...keys].sort().join('\0');
      const uniqueKeys = existing?.uniqueKeys ?? (created || !existing ? [keys] : []);
      plan.uniqueKey =
        keys.length > 0 && this.dialect.capabilities.enforcesUniqueKeys && uniqueKeys.some((k) => [...k].sort().join('\0') === wantedKey);
      plan.columns = columns;
      return;
    }
  }

  /** The stream's columns against the table as it is (`existing`, undefined: none yet), and the DDL they need. */
  private planColumns(
    plan: StreamPlan<Type>,
    existing: SqlTable<Type> | undefined,
  ): { columns: PlannedColumn<Type>[]; keys: string[]; statements: string[] } {
    const { info } = plan;
    const properties = info.schema.properties ?? {};
    const fields = Object.keys(properties);
    const names = columnNames(fields, this.dialect.identifiers);
    const columns: PlannedColumn<Type>[] = fields.map((field) => {
      const schema = properties[field] ?? {};
      const name = names.get(field) as string;
      // A column that already holds bytes keeps taking base16 as bytes: turning it into text would rewrite its rows.
      const current = existing?.columns.get(name);
      const asBytes = { interpretContentEncoding: true };
      const interpret =
        this.options.interpretContentEncoding ||
        (current !== undefined &&
          schema.contentEncoding === 'base16' &&
          this.dialect.sameType(current, this.dialect.columnType(schema, asBytes)));
      const typeOptions = { interpretContentEncoding: interpret };
      const column = columnType(schema, typeOptions);
      return {
        name,
        type: this.dialect.columnType(schema, typeOptions),
        logical: column.logical,
        source: { field, ...(column.contentEncoding ? { contentEncoding: column.contentEncoding } : {}) },
      };
    });
    const taken = new Set(columns.map((c) => c.name));
    const wanted = (name: MetadataColumn) =>
      this.options.addRecordMetadata ||
      (name === '_sdc_table_version' && plan.versioned) ||
      (name === '_sdc_deleted_at' && plan.versioned && !this.options.hardDelete);
    for (const meta of METADATA_COLUMNS) {
      if (taken.has(meta) || !wanted(meta)) continue;
      columns.push({ name: meta, type: this.dialect.metadataType(meta), logical: METADATA_LOGICAL_TYPES[meta], source: { meta } });
    }
    plan.keyColumns = info.keyProperties.map((k) => names.get(k) as string);
    const keys = info.conflictMethod === 'append' ? [] : plan.keyColumns;
    const statements: string[] = [];
    if (!existing) {
      if (!this.options.skipSchemaCreation) statements.push(...this.dialect.createSchema(plan.table.schema));
      statements.push(...this.dialect.createTable(plan.table, columns, keys));
    } else {
      for (const column of columns) {
        const current = existing.columns.get(column.name);
        if (current === undefined) {
          statements.push(...this.dialect.addColumn(plan.table, column));
          continue;
        }
        const widened = this.dialect.widen(current, column.type);
        if (!this.dialect.sameType(widened, current))
          statements.push(...this.dialect.alterColumnType(plan.table, column.name, current, widened));
        // Rows follow the table's type, so a column widened earlier keeps loading whatever the schema says today.
        column.type = widened;
      }
    }
    return { columns, keys, statements };
  }

  uncommittedBytes(): number {
    return this.bytes;
  }

  async write(batch: RecordBatch): Promise<void> {
    const plan = this.streams.get(batch.stream) as StreamPlan<Type>;
    if (Object.keys(plan.info.schema.properties ?? {}).length === 0) {
      if (plan.records === 0) this.control.logger.warn(`stream "${plan.info.name}" has no properties: its records have nothing to load`);
      plan.records += batch.records.length;
      return;
    }
    if (batch.version !== undefined && !plan.versioned) {
      // A versioned stream needs _sdc_table_version (and _sdc_deleted_at for soft deletes): a table change.
      await this.control.commit();
      plan.versioned = true;
      await this.plan(plan);
    }
    const receivedAt = new Date().toISOString();
    const flagDeletes = this.options.hardDelete && plan.info.conflictMethod !== 'append';
    if (batch.records.length > 0) plan.freshVersions?.add(batch.version ?? null);
    if (batch.native && batch.records.length > 0 && (await this.writeNative(plan, batch))) {
      plan.records += batch.records.length;
      this.sequence += batch.records.length;
      this.bytes += batch.native.data.length;
      return;
    }
    const rows: unknown[][] = plan.load ? [] : plan.rows;
    for (const record of batch.records) {
      const row: unknown[] = plan.columns.map((column) => {
        if ('meta' in column.source) {
          switch (column.source.meta) {
            case '_sdc_extracted_at':
              return batch.timeExtracted ?? null;
            case '_sdc_received_at':
            case '_sdc_batched_at':
              return receivedAt;
            case '_sdc_sequence':
              return this.sequence;
            case '_sdc_table_version':
              return batch.version ?? null;
            case '_sdc_deleted_at':
              // Deletes arrive as a field of the record (CDC sources put it there).
              return record['_sdc_deleted_at'] ?? null;
          }
        }
        return this.value(plan, record, column.source.field, column.logical, column.source.contentEncoding);
      });
      row.push(this.sequence++, flagDeletes && record['_sdc_deleted_at'] != null ? true : null);
      rows.push(row);
      plan.records++;
      this.bytes += rowBytes(row);
    }
    if (plan.load) await this.sendToLoad(plan, rows);
    else if (plan.rows.length >= STREAM_AFTER_ROWS && !plan.buffering && this.loading === undefined) await this.openLoad(plan);
  }

  /** A stream loads straight into its table (`loadDirect`'s rule) when it appends, or upserts on an enforced key. */
  private direct(plan: StreamPlan<Type>): boolean {
    const method = plan.info.conflictMethod;
    return method === 'append' || (method === 'upsert' && plan.uniqueKey);
  }

  /**
   * Native rows straight into a direct load, unchanged (no record is turned into a row): into the stream's open
   * native load when they have its form, else into a new one when nothing is buffered and no other load is open.
   * False: the batch takes the record path (a record-mode load may have been opened for it).
   */
  private async writeNative(plan: StreamPlan<Type>, batch: RecordBatch): Promise<boolean> {
    const native = this.nativeLoad(plan, batch);
    if (!native) return false;
    const key = `${native.native.fields.join('\0')}\n${native.native.types.join('\0')}\n${stringifyExactJson(native.constants.map((c) => c.value))}`;
    if (plan.load?.native) {
      if (plan.nativeKey === key) {
        if (await plan.load.writeNative?.(native.native.data)) return true;
        // Refused data (text the engine would read otherwise): records from here on until the commit.
        await this.endLoad();
        plan.buffering = true;
        return false;
      }
      await this.endLoad();
    }
    if (plan.load || plan.buffering || plan.rows.length > 0 || this.loading !== undefined || !this.connection.openDirectLoad) return false;
    if (!this.direct(plan)) return false;
    await this.begin();
    const load = await this.connection.openDirectLoad(plan.table, this.dataColumns(plan), native);
    if (!load) {
      plan.buffering = true;
      return false;
    }
    plan.load = load;
    plan.nativeKey = key;
    this.loading = plan;
    if (!load.native) return false;
    if (await load.writeNative?.(native.native.data)) return true;
    await this.endLoad();
    plan.buffering = true;
    return false;
  }

  /** How a batch's native rows map onto the stream's columns, or undefined when they cannot stand for its records. */
  private nativeLoad(plan: StreamPlan<Type>, batch: RecordBatch): NativeLoad<Type> | undefined {
    const native = batch.native as NativeRows;
    // A `_sdc_deleted_at` field makes records deletes; metadata that differs per row or per load needs the records.
    if (native.fields.length === 0 || native.fields.includes('_sdc_deleted_at')) return undefined;
    const byField = new Map<string, PlannedColumn<Type>>();
    for (const column of plan.columns) if ('field' in column.source) byField.set(column.source.field, column);
    const columns: LoadColumn<Type>[] = [];
    for (const field of native.fields) {
      const column = byField.get(field);
      if (!column || ('field' in column.source && column.source.contentEncoding)) return undefined;
      columns.push({ name: column.name, type: column.type });
    }
    const constants: NativeLoad<Type>['constants'] = [];
    for (const column of plan.columns) {
      if (!('meta' in column.source)) continue;
      if (column.source.meta === '_sdc_table_version')
        constants.push({ column: { name: column.name, type: column.type }, value: batch.version ?? null });
      else if (column.source.meta !== '_sdc_deleted_at') return undefined;
    }
    return { native, columns, constants };
  }

  /** Opens a streaming direct load for the stream's buffered rows and what follows, when the connection can. */
  private async openLoad(plan: StreamPlan<Type>): Promise<void> {
    if (!this.connection.openDirectLoad || !this.direct(plan) || plan.rows.some(isDelete)) {
      plan.buffering = true;
      return;
    }
    await this.begin();
    const load = await this.connection.openDirectLoad(plan.table, this.dataColumns(plan));
    if (!load) {
      plan.buffering = true;
      return;
    }
    plan.load = load;
    this.loading = plan;
    const rows = plan.rows;
    plan.rows = [];
    await this.sendToLoad(plan, rows);
  }

  /** Rows into the stream's open load; a CDC delete ends it, and the rows from there on are buffered (merged at commit). */
  private async sendToLoad(plan: StreamPlan<Type>, rows: unknown[][]): Promise<void> {
    const deleteAt = rows.findIndex(isDelete);
    const load = plan.load as DirectLoad<Type>;
    await load.write(deleteAt < 0 ? rows : rows.slice(0, deleteAt));
    if (deleteAt < 0) return;
    await this.endLoad();
    plan.buffering = true;
    plan.rows = rows.slice(deleteAt);
  }

  /** Ends the open streaming load; rows the table refused (a duplicate key) are staged and merged instead, in order. */
  private async endLoad(): Promise<void> {
    const plan = this.loading;
    if (!plan?.load) return;
    const load = plan.load;
    plan.load = undefined;
    plan.nativeKey = undefined;
    this.loading = undefined;
    if (!(await load.end())) await this.stageAndMerge(plan, (staging, columns) => load.stage(staging, columns));
  }

  private dataColumns(plan: StreamPlan<Type>): LoadColumn<Type>[] {
    return plan.columns.map((c) => ({ name: c.name, type: c.type }));
  }

  private async run(statements: readonly string[]): Promise<void> {
    for (const sql of statements) await this.connection.execute(sql);
  }

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await this.connection.begin();
    this.inTransaction = true;
  }

  /** Loads a stream's rows (through `fill`) into its staging table, inside the open transaction, and merges them. */
  private async stageAndMerge(
    plan: StreamPlan<Type>,
    fill: (staging: TableRef, columns: readonly LoadColumn<Type>[]) => Promise<void>,
  ): Promise<void> {
    const staging = this.dialect.stagingTable(plan.table, plan.index);
    const ddlInside = this.dialect.capabilities.transactionalDdl;
    if (ddlInside || !this.stagingCreated.some((t) => t.name === staging.name && t.schema === staging.schema)) {
      await this.run(
        this.dialect.createStaging(
          staging,
          plan.table,
          plan.columns.map((c) => c.name),
        ),
      );
      if (!ddlInside) this.stagingCreated.push(staging);
    }
    const method: ConflictMethod = plan.info.conflictMethod;
    await fill(staging, [
      ...this.dataColumns(plan),
      { name: STAGING_SEQUENCE, type: 'sequence' },
      { name: STAGING_DELETED, type: 'deleted' },
    ]);
    await this.run(
      this.dialect.merge({
        target: plan.table,
        staging,
        columns: plan.columns.map((c) => c.name),
        keys: plan.keyColumns,
        method,
        uniqueKey: plan.uniqueKey,
        hardDelete: this.options.hardDelete && method !== 'append',
      }),
    );
    if (ddlInside) await this.run(this.dialect.dropStaging(staging));
  }

  /** A record's value as the connection loads it: JSON as text, bytes decoded, exact numbers kept. */
  private value(plan: StreamPlan<Type>, record: RecordData, field: string, logical: LogicalType, encoding?: 'base64' | 'base16'): unknown {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    if (value === undefined || value === null) return null;
    if (logical === 'json') return value instanceof JsonText ? value.text : stringifyExactJson(value);
    if (logical === 'binary' && typeof value === 'string') {
      if (encoding !== 'base16') return Buffer.from(value, 'base64');
      const bytes = decodeBase16(value);
      if (!bytes) throw base16Error(plan.info.name, this.recordRef(plan, record), field, value);
      return bytes;
    }
    if (typeof value === 'object' && !(value instanceof Decimal) && !(value instanceof Uint8Array)) {
      throw new RecordValidationError(
        'VALUE_UNLOADABLE',
        `holds ${Array.isArray(value) ? 'an array' : 'an object'} for a ${logical} column`,
        {
          stream: plan.info.name,
          record: this.recordRef(plan, record),
          field,
        },
      );
    }
    return value;
  }

  private recordRef(plan: StreamPlan<Type>, record: RecordData): number | string {
    if (plan.info.keyProperties.length === 0) return plan.records;
    return stringifyExactJson(Object.fromEntries(plan.info.keyProperties.map((k) => [k, record[k]])));
  }

  async activateVersion(stream: string, version: number): Promise<void> {
    const plan = this.streams.get(stream) as StreamPlan<Type>;
    if (!plan.versioned) {
      await this.control.commit();
      plan.versioned = true;
      await this.plan(plan);
    }
    // A table this session created holding only rows of this version: no older row to delete (a full-table sync
    // into a new table would otherwise end with a scan of every row it just loaded).
    const versions = plan.freshVersions;
    if (versions && [...versions].every((v) => v === version)) {
      this.control.logger.debug(`${this.dialect.qualify(plan.table)}: ACTIVATE_VERSION ${version} has no older rows to remove`);
      return;
    }
    this.pendingOps.push(
      ...this.dialect.activateVersion(plan.table, version, this.options.hardDelete || this.options.removeOldVersions === true),
    );
  }

  /**
   * One transaction: the open streaming load ended, each stream's buffered rows into its staging table, merged into
   * the target (or loaded straight into it); then pending operations. An engine whose DDL commits implicitly
   * (`transactionalDdl: false`: MySQL, BigQuery, Snowflake) gets its staging tables created before the transaction
   * (inside it only after a streaming load, whose connection allows that) and dropped after it, so the loads and
   * merges stay one unit.
   */
  async commit(): Promise<void> {
    const plans = [...this.streams.values()].filter((p) => p.rows.length > 0);
    if (plans.length === 0 && this.pendingOps.length === 0 && !this.inTransaction) return;
    const ddlInside = this.dialect.capabilities.transactionalDdl;
    if (!ddlInside && !this.inTransaction) {
      for (const plan of plans) {
        const staging = this.dialect.stagingTable(plan.table, plan.index);
        await this.run(
          this.dialect.createStaging(
            staging,
            plan.table,
            plan.columns.map((c) => c.name),
          ),
        );
        this.stagingCreated.push(staging);
      }
    }
    await this.begin();
    await this.endLoad();
    for (const plan of plans) {
      const rows = plan.rows;
      plan.rows = [];
      const direct = this.direct(plan) && !rows.some(isDelete);
      if (direct && this.connection.loadDirect && (await this.connection.loadDirect(plan.table, this.dataColumns(plan), rows))) continue;
      await this.stageAndMerge(plan, (staging, columns) => this.connection.loadRows(staging, columns, rows));
    }
    await this.run(this.pendingOps);
    await this.connection.commit();
    this.inTransaction = false;
    const created = this.stagingCreated;
    this.stagingCreated = [];
    for (const staging of created) await this.run(this.dialect.dropStaging(staging));
    for (const plan of this.streams.values()) plan.buffering = false;
    this.pendingOps = [];
    this.bytes = 0;
  }

  async close(failed: boolean): Promise<void> {
    try {
      // Nothing may be open (the failure came between transactions); the load's own error is what counts.
      if (failed) await this.connection.rollback().catch(() => {});
    } finally {
      await this.connection.close();
    }
  }
}

/** A staged row flagged as a CDC delete (its last value). */
function isDelete(row: readonly unknown[]): boolean {
  return row[row.length - 1] === true;
}

/** About how many bytes a row holds, for batch_size_bytes (strings by length, everything else a word). */
function rowBytes(row: readonly unknown[]): number {
  let bytes = 0;
  for (const value of row) bytes += typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.length : 8;
  return bytes;
}
