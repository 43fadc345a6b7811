import { once } from 'node:events';
import { Readable } from 'node:stream';
import mysql from 'mysql2';
import type { ResultSetHeader } from 'mysql2';
import { RecordValidationError, type Logger } from '@mage-int/core';
import type { DirectLoad, LoadColumn, NativeLoad, SqlConnection, SqlTable, TableRef } from '@mage-int/core/sql';
import { errorNumber, type MysqlClient } from './connection.js';
import { WIDENING_COLUMN, type MysqlDialect } from './mysql-dialect.js';
import { fromPostgresType, parseMysqlType, sameMysqlType, t, type MysqlType } from './mysql-types.js';
import { columnEncoder, encodeRows, type ColumnEncoder } from './value-text.js';

/** Server answers meaning "no LOAD DATA LOCAL INFILE here": not allowed (1148, MariaDB 4166), or local files off (MySQL 3948/3950, client 2068). */
const LOCAL_INFILE_REFUSED = new Set([1148, 2068, 3948, 3950, 4166]);
/** Text handed to the server per chunk of the in-memory LOAD DATA stream. */
const CHUNK_CHARACTERS = 256 * 1024;
/** A streaming load waits while this much of it is still in the socket's buffer (the server reads slower). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
const ER_DUP_ENTRY = 1062;

interface Warning {
  Level: string;
  Code: number;
  Message: string;
}

/**
 * The MySQL I/O of the SQL kit's session: statements, the catalog, and bulk loads into staging — `LOAD DATA LOCAL
 * INFILE` streamed from memory (no file is written; mysql2 asks `infileStreamFactory` for the data), or multi-row
 * INSERTs when the config says so or the server refuses LOCAL INFILE. LOAD DATA LOCAL turns bad values into
 * warnings (the server cannot stop the client mid-file), so any warning fails the load, naming the row and column.
 */
export class MysqlConnection implements SqlConnection<MysqlType> {
  constructor(
    private readonly client: MysqlClient,
    private readonly dialect: MysqlDialect,
    private localInfile: boolean,
    private readonly logger: Logger,
  ) {}

  /** Tables that met a duplicate key on a direct load: they stage for the rest of the run. */
  private readonly staged = new Set<string>();

  async execute(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async describeTable(table: TableRef): Promise<SqlTable<MysqlType> | undefined> {
    const rows = await this.client.query<{ name: string; type: string; key: string }>(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, COLUMN_KEY AS \`key\` FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table.schema, table.name],
    );
    if (rows.length === 0) return undefined;
    if (rows.some((r) => r.name === WIDENING_COLUMN)) {
      // A widening interrupted before its final ALTER: the old column is intact, the half-filled copy goes.
      await this.execute(`ALTER TABLE ${this.dialect.qualify(table)} DROP COLUMN ${this.dialect.quoteIdentifier(WIDENING_COLUMN)}`);
      return this.describeTable(table);
    }
    // MariaDB's json is a longtext with a json_valid() check: the check tells it apart from text.
    const checks = this.client.server.mariadb
      ? await this.client.query<{ clause: string }>(
          'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
          [table.schema, table.name],
        )
      : [];
    const json = new Set(
      checks
        .map((c) => /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(c.clause.trim())?.[1]?.replace(/``/g, '`'))
        .filter((n): n is string => n !== undefined),
    );
    const indexes = await this.client.query<{ index: string; column: string }>(
      `SELECT INDEX_NAME AS \`index\`, COLUMN_NAME AS \`column\` FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [table.schema, table.name],
    );
    const unique = new Map<string, string[]>();
    for (const { index, column } of indexes) unique.set(index, [...(unique.get(index) ?? []), column]);
    const columns = new Map<string, MysqlType>();
    for (const row of rows) {
      const parsed = json.has(row.name) ? t('json') : (parseMysqlType(row.type, this.client.server) ?? t('longtext'));
      columns.set(row.name, row.key === 'PRI' ? { ...parsed, key: true } : parsed);
    }
    return { columns, uniqueKeys: [...unique.values()] };
  }

  async loadRows(staging: TableRef, columns: readonly LoadColumn<MysqlType>[], rows: readonly unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const encoders = columns.map(columnEncoder);
    const layout = this.encoderLayout(encoders);
    const warnings = this.localInfile ? await this.loadData(staging, layout, Readable.from(textChunks(encoders, rows))) : undefined;
    if (warnings === undefined) return this.insertRows(staging, encoders, rows);
    if (warnings.length > 0) this.failOnWarnings(staging, layout.names, rowValues(encoders, rows), warnings);
  }

  /**
   * LOAD DATA straight into the table inside a savepoint; a duplicate key (the row exists, or repeats in the batch)
   * rolls it back, and the table stages from then on, for the rest of the run. Only with LOAD DATA (not INSERTs).
   */
  async loadDirect(target: TableRef, columns: readonly LoadColumn<MysqlType>[], rows: readonly unknown[][]): Promise<boolean> {
    const name = this.dialect.qualify(target);
    if (!this.localInfile || this.staged.has(name) || rows.length === 0) return false;
    const encoders = columns.map(columnEncoder);
    await this.execute('SAVEPOINT mage_direct');
    const layout = this.encoderLayout(encoders);
    const warnings = await this.loadData(target, layout, Readable.from(textChunks(encoders, rows)));
    return this.endDirect(target, layout.names, rowValues(encoders, rows), warnings);
  }

  /** A direct load's outcome: released (true), or rolled back for a duplicate key (false); any other warning fails. */
  private async endDirect(target: TableRef, names: readonly string[], values: ValueAt, warnings: Warning[] | undefined): Promise<boolean> {
    if (warnings !== undefined && warnings.length === 0) {
      await this.execute('RELEASE SAVEPOINT mage_direct');
      return true;
    }
    if (warnings !== undefined && !warnings.some((w) => w.Code === ER_DUP_ENTRY)) this.failOnWarnings(target, names, values, warnings);
    await this.execute('ROLLBACK TO SAVEPOINT mage_direct');
    const name = this.dialect.qualify(target);
    this.staged.add(name);
    this.logger.debug(`${name}: keys already present, loading through a staging table from now on`);
    return false;
  }

  /** The server took a LOAD DATA LOCAL on this connection (checked once, before the first streaming load). */
  private localInfileWorks = false;
  /** The open streaming load's input, ended when the session rolls back. */
  private openInput: Readable | undefined;

  /**
   * A direct load that streams: one `LOAD DATA LOCAL INFILE` into the table (inside a savepoint) whose input is a
   * stream the rows are encoded into as they arrive, so the source reads while the server loads. The text sent is
   * kept (not the rows): if the table refuses a key, the savepoint rolls back and the same text, with the staging
   * columns appended to each line, loads the staging table instead. With `native` rows whose text MySQL reads as
   * the columns' values (PostgreSQL COPY text is LOAD DATA's own format; see `nativeLayout`), the load takes that
   * text unchanged and no record is encoded.
   */
  async openDirectLoad(
    target: TableRef,
    columns: readonly LoadColumn<MysqlType>[],
    native?: NativeLoad<MysqlType>,
  ): Promise<DirectLoad<MysqlType> | undefined> {
    const name = this.dialect.qualify(target);
    if (!this.localInfile || this.staged.has(name)) return undefined;
    const encoders = columns.map(columnEncoder);
    const nativeLayout = native ? this.nativeLayout(native) : undefined;
    const layout = nativeLayout ?? this.encoderLayout(encoders);
    if (!this.localInfileWorks) {
      // A refusal must come before any row is taken: an empty load into the table asks the server.
      if ((await this.loadData(target, layout, Readable.from([]))) === undefined) return undefined;
      this.localInfileWorks = true;
    }
    await this.execute('SAVEPOINT mage_direct');
    this.logger.debug(`${name}: streaming ${nativeLayout ? 'native rows' : 'rows'} into LOAD DATA`);
    const sent: Buffer[] = [];
    let pull: (() => void) | undefined;
    const input = new Readable({
      highWaterMark: CHUNK_CHARACTERS,
      read() {
        const wake = pull;
        pull = undefined;
        wake?.();
      },
    });
    this.openInput = input;
    const result = this.loadData(target, layout, input);
    let failed = false;
    const settled = result.then(
      () => {},
      () => {
        failed = true;
      },
    );
    const socket = (this.client.raw as unknown as { stream: NodeJS.EventEmitter & { writableLength: number } }).stream;
    const waitFor = async (ready: Promise<unknown>) => {
      await Promise.race([ready, settled]);
      if (failed) await result; // throws the load's error
    };
    const send = async (text: Buffer) => {
      sent.push(text);
      if (!input.push(text)) await waitFor(new Promise<void>((resolve) => (pull = resolve)));
      if (socket.writableLength > SOCKET_BUFFER_BYTES) {
        const stop = new AbortController();
        await waitFor(once(socket, 'drain', { signal: stop.signal }).catch(() => {})).finally(() => stop.abort());
      }
    };
    const values: ValueAt = (row, column) => sentField(sent, row, column);
    return {
      native: nativeLayout !== undefined,
      write: async (rows) => {
        if (nativeLayout) throw new Error('a native load takes native rows only');
        for (const text of textChunks(encoders, rows, encoders.length)) await send(text);
      },
      writeNative: async (data) => {
        // PostgreSQL escapes form feed and vertical tab as \f and \v, which LOAD DATA reads as the letters.
        if (!nativeLayout || data.includes('\\f') || data.includes('\\v')) return false;
        if (data.length > 0) await send(data);
        return true;
      },
      end: async () => {
        input.push(null);
        this.openInput = undefined;
        const warnings = await result;
        if (warnings === undefined) throw new Error('the server refused LOAD DATA LOCAL INFILE after taking it before');
        return this.endDirect(target, layout.names, values, warnings);
      },
      stage: async (staging, stagingColumns) => {
        const tail = stagingColumns.slice(columns.length).map(columnEncoder);
        const stagingLayout = {
          names: [...layout.names, ...tail.map((e) => e.name)],
          targets: [...layout.targets, ...tail.map((e) => this.dialect.quoteIdentifier(e.name))],
          sets: layout.sets,
        };
        const warnings = await this.loadData(staging, stagingLayout, Readable.from(withStagingColumns(sent)));
        if (warnings?.length) this.failOnWarnings(staging, stagingLayout.names, values, warnings);
        this.logger.debug(`${name}: rows staged after the direct load met a duplicate key`);
      },
    };
  }

  /** The LOAD DATA column list of encoded rows: each column, or a variable its expression (UNHEX, …) reads. */
  private encoderLayout(encoders: readonly ColumnEncoder[]): LoadLayout {
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    return {
      names: encoders.map((e) => e.name),
      targets: encoders.map((e, i) => (e.expression ? `@v${i}` : q(e.name))),
      sets: encoders.flatMap((e, i) => (e.expression ? [`${q(e.name)} = ${e.expression(`@v${i}`)}`] : [])),
    };
  }

  /**
   * The LOAD DATA column list that reads PostgreSQL COPY text unchanged, or undefined when it cannot: every native
   * column must have exactly the MySQL type its PostgreSQL type maps to, and be of a type whose text MySQL reads as
   * the same value — integers, numeric, float, date, timestamp (timestamptz, whose text the source reads in UTC,
   * loses its `+00`), boolean (`t`/`f` become 1/0), varchar/text, json/jsonb. The table's other columns get their
   * constants (the table version) or stay NULL.
   */
  private nativeLayout(load: NativeLoad<MysqlType>): LoadLayout | undefined {
    const { native } = load;
    if (native.format !== 'postgresql-copy-text') return undefined;
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const layout: LoadLayout = { names: [], targets: [], sets: [] };
    for (const [i, column] of load.columns.entries()) {
      const pgType = (native.types[i] ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
      const base = pgType.replace(/\s*\(.*\)/, '');
      const expected = fromPostgresType(pgType, this.client.server);
      if (typeof column.type === 'string' || !NATIVE_TEXT_TYPES.has(base) || !expected || !sameMysqlType(expected, column.type))
        return undefined;
      layout.names.push(column.name);
      const variable = `@n${i}`;
      if (base === 'boolean' || base === 'bool') {
        layout.targets.push(variable);
        layout.sets.push(`${q(column.name)} = (${variable} = 't')`);
      } else if (base === 'timestamp with time zone' || base === 'timestamptz') {
        layout.targets.push(variable);
        layout.sets.push(`${q(column.name)} = IF(${variable} LIKE '%+00', LEFT(${variable}, CHAR_LENGTH(${variable}) - 3), ${variable})`);
      } else layout.targets.push(q(column.name));
    }
    for (const { column, value } of load.constants)
      layout.sets.push(
        `${q(column.name)} = ${value === null ? 'NULL' : typeof value === 'number' ? String(value) : this.dialect.quoteLiteral(value)}`,
      );
    return layout;
  }

  /**
   * Streams `input` (LOAD DATA text) to the server. Returns the load's warnings (none when clean; LOAD DATA LOCAL
   * reports bad values and duplicate keys as warnings, since the server cannot stop the client mid-file), or
   * undefined when the server refuses LOCAL INFILE (this connection then uses INSERTs).
   */
  private async loadData(table: TableRef, { targets, sets }: LoadLayout, input: Readable): Promise<Warning[] | undefined> {
    const sql =
      `LOAD DATA LOCAL INFILE 'mage-int' INTO TABLE ${this.dialect.qualify(table)} CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${targets.join(', ')})${sets.length > 0 ? ` SET ${sets.join(', ')}` : ''}`;
    let header: ResultSetHeader;
    try {
      [header] = (await this.client.raw.promise().query({ sql, infileStreamFactory: () => input })) as unknown as [ResultSetHeader];
    } catch (error) {
      if (!LOCAL_INFILE_REFUSED.has(errorNumber(error) ?? 0)) throw error;
      this.localInfile = false;
      this.logger.warn(
        `the server refuses LOAD DATA LOCAL INFILE (${(error as Error).message}): loading with multi-row INSERTs, which is slower; set local_infile=ON on the server, or local_infile: false in the config to silence this`,
      );
      return undefined;
    }
    return header.warningStatus > 0 ? this.client.query<Warning>('SHOW WARNINGS LIMIT 5') : [];
  }

  /** A load reported warnings (a value the column cannot hold): the first of them, as an error naming row and column. */
  private failOnWarnings(table: TableRef, names: readonly string[], values: ValueAt, warnings: readonly Warning[]): never {
    throw this.valueError(table, names, values, warnings[0]?.Message ?? 'warnings while loading', 0);
  }

  /**
   * The server's complaint about a value (`Data too long for column 'code' at row 2`) as an error naming the table,
   * the row of the batch (`offset` + the statement's row) and the column, with the value.
   */
  private valueError(
    table: TableRef,
    names: readonly string[],
    values: ValueAt,
    message: string,
    offset: number,
    cause?: unknown,
  ): RecordValidationError {
    const at = /column '((?:[^']|'')*)' at row (\d+)/i.exec(message);
    const column = at?.[1];
    const row = at ? offset + Number(at[2]) - 1 : undefined;
    const index = column === undefined ? -1 : names.indexOf(column);
    const value = row !== undefined && index >= 0 ? values(row, index) : undefined;
    const named = this.dialect.stagedFor.get(table.name) ?? table;
    const shown = value === undefined ? '' : ` (value ${JSON.stringify(value)?.slice(0, 80)})`;
    return new RecordValidationError(
      'VALUE_REJECTED',
      `MySQL refused a value for table ${this.dialect.qualify(named)}: ${message}${shown}`,
      {
        ...(row !== undefined ? { record: row } : {}),
        ...(column !== undefined ? { field: column } : {}),
        hint: 'the value does not fit the column type (too long, out of range, not a date): widen the column, or fix the source data; nothing of this batch was committed',
        ...(cause !== undefined ? { cause } : {}),
      },
    );
  }

  /** Multi-row INSERTs of literals, each statement under the server's packet limit; a refused value named as by LOAD DATA. */
  private async insertRows(staging: TableRef, encoders: readonly ColumnEncoder[], rows: readonly unknown[][]): Promise<void> {
    const head = `INSERT INTO ${this.dialect.qualify(staging)} (${encoders.map((e) => this.dialect.quoteIdentifier(e.name)).join(', ')}) VALUES `;
    const limit = Math.max(64 * 1024, Math.min(16 * 1024 * 1024, Math.floor(this.client.maxPacket / 2)));
    let tuples: string[] = [];
    let first = 0;
    let size = head.length;
    const flush = async () => {
      try {
        await this.execute(head + tuples.join(', '));
      } catch (error) {
        if (!/ at row \d+/.test((error as Error).message)) throw error;
        throw this.valueError(
          staging,
          encoders.map((e) => e.name),
          rowValues(encoders, rows),
          (error as Error).message,
          first,
          error,
        );
      }
    };
    for (const [n, row] of rows.entries()) {
      const tuple = `(${encoders
        .map((e, i) => {
          const text = e.text(row[i]);
          if (text === null) return 'NULL';
          const literal = mysql.escape(text);
          return e.expression ? e.expression(literal) : literal;
        })
        .join(', ')})`;
      if (tuples.length > 0 && size + tuple.length + 2 > limit) {
        await flush();
        tuples = [];
        first = n;
        size = head.length;
      }
      tuples.push(tuple);
      size += tuple.length + 2;
    }
    if (tuples.length > 0) await flush();
  }

  async begin(): Promise<void> {
    await this.execute('START TRANSACTION');
  }

  async commit(): Promise<void> {
    await this.execute('COMMIT');
  }

  async rollback(): Promise<void> {
    this.abandonLoad();
    await this.execute('ROLLBACK');
  }

  async close(): Promise<void> {
    this.abandonLoad();
    await this.client.end();
  }

  /**
   * A streaming load still open when the session fails: its input just ends (whether or not the server has asked
   * for it yet), so the statement finishes and the ROLLBACK queued behind it undoes what it loaded.
   */
  private abandonLoad(): void {
    this.openInput?.push(null);
    this.openInput = undefined;
  }
}

/** A LOAD DATA column list: the column each field fills (`names`), the list itself (columns, @variables), SET clauses. */
interface LoadLayout {
  names: string[];
  targets: string[];
  sets: string[];
}

/** PostgreSQL types whose COPY text MySQL reads as the value (with the SET expression nativeLayout gives some). */
const NATIVE_TEXT_TYPES = new Set([
  'smallint',
  'integer',
  'bigint',
  'int2',
  'int4',
  'int8',
  'numeric',
  'decimal',
  'double precision',
  'float8',
  'date',
  'timestamp without time zone',
  'timestamp',
  'timestamp with time zone',
  'timestamptz',
  'boolean',
  'bool',
  'character varying',
  'varchar',
  'text',
  'json',
  'jsonb',
]);

/** The text of a loaded value, by row of the load and column, to name it in an error (undefined: not known). */
type ValueAt = (row: number, column: number) => string | null | undefined;

function rowValues(encoders: readonly ColumnEncoder[], rows: readonly unknown[][]): ValueAt {
  return (row, column) => {
    const values = rows[row];
    return values === undefined ? undefined : encoders[column]!.text(values[column]);
  };
}

/** Rows as LOAD DATA text in chunks of about CHUNK_CHARACTERS (the first `width` values of each row). */
function* textChunks(encoders: readonly ColumnEncoder[], rows: readonly unknown[][], width = encoders.length): Generator<Buffer> {
  for (let from = 0; from < rows.length; ) {
    const { text, next } = encodeRows(encoders, rows, from, width, CHUNK_CHARACTERS);
    yield Buffer.from(text);
    from = next;
  }
}

/** LOAD DATA text with the staging columns appended to every line: the load sequence (line order) and no delete flag. */
function* withStagingColumns(chunks: readonly Buffer[]): Generator<Buffer> {
  let sequence = 0;
  for (const chunk of chunks) {
    let text = '';
    let from = 0;
    for (let end = chunk.indexOf(10); end >= 0; from = end + 1, end = chunk.indexOf(10, from)) {
      text += `${chunk.toString('utf8', from, end)}\t${sequence++}\t\\N\n`;
    }
    yield Buffer.from(text);
  }
}

/** A field of the streamed text, by line and column (escapes left as sent), to name a refused value. */
function sentField(chunks: readonly Buffer[], row: number, column: number): string | null | undefined {
  let line = 0;
  for (const chunk of chunks) {
    for (let from = 0, end = chunk.indexOf(10); end >= 0; from = end + 1, end = chunk.indexOf(10, from), line++) {
      if (line === row) {
        const field = chunk.toString('utf8', from, end).split('\t')[column];
        return field === '\\N' ? null : field;
      }
    }
  }
  return undefined;
}
