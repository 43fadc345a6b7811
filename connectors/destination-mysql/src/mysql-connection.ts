import { Readable } from 'node:stream';
import mysql from 'mysql2';
import type { ResultSetHeader } from 'mysql2';
import { RecordValidationError, type Logger } from '@mage-int/core';
import type { LoadColumn, SqlConnection, SqlTable, TableRef } from '@mage-int/core/sql';
import { errorNumber, type MysqlClient } from './connection.js';
import { WIDENING_COLUMN, type MysqlDialect } from './mysql-dialect.js';
import { parseMysqlType, t, type MysqlType } from './mysql-types.js';
import { columnEncoder, loadDataField, type ColumnEncoder } from './value-text.js';

/** Server answers meaning "no LOAD DATA LOCAL INFILE here": not allowed (1148, MariaDB 4166), or local files off (MySQL 3948/3950, client 2068). */
const LOCAL_INFILE_REFUSED = new Set([1148, 2068, 3948, 3950, 4166]);
/** Text handed to the server per chunk of the in-memory LOAD DATA stream. */
const CHUNK_CHARACTERS = 256 * 1024;

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
      ? await this.client.query<{ clause: string }>('SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?', [table.schema, table.name])
      : [];
    const json = new Set(checks.map((c) => /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(c.clause.trim())?.[1]?.replace(/``/g, '`')).filter((n): n is string => n !== undefined));
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
    if (this.localInfile) {
      try {
        await this.loadData(staging, encoders, rows);
        return;
      } catch (error) {
        if (!LOCAL_INFILE_REFUSED.has(errorNumber(error) ?? 0)) throw error;
        this.localInfile = false;
        this.logger.warn(`the server refuses LOAD DATA LOCAL INFILE (${(error as Error).message}): loading with multi-row INSERTs, which is slower; set local_infile=ON on the server, or local_infile: false in the config to silence this`);
      }
    }
    await this.insertRows(staging, encoders, rows);
  }

  private async loadData(staging: TableRef, encoders: readonly ColumnEncoder[], rows: readonly unknown[][]): Promise<void> {
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const targets = encoders.map((e, i) => (e.expression ? `@v${i}` : q(e.name)));
    const sets = encoders.flatMap((e, i) => (e.expression ? [`${q(e.name)} = ${e.expression(`@v${i}`)}`] : []));
    const sql =
      `LOAD DATA LOCAL INFILE 'mage-int' INTO TABLE ${this.dialect.qualify(staging)} CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${targets.join(', ')})${sets.length > 0 ? ` SET ${sets.join(', ')}` : ''}`;
    function* lines(): Generator<Buffer> {
      let chunk = '';
      for (const row of rows) {
        let line = '';
        for (let i = 0; i < encoders.length; i++) line += (i === 0 ? '' : '\t') + loadDataField(encoders[i]!.text(row[i]));
        chunk += `${line}\n`;
        if (chunk.length >= CHUNK_CHARACTERS) {
          yield Buffer.from(chunk);
          chunk = '';
        }
      }
      if (chunk) yield Buffer.from(chunk);
    }
    const [header] = (await this.client.raw.promise().query({ sql, infileStreamFactory: () => Readable.from(lines()) })) as unknown as [ResultSetHeader];
    if (header.warningStatus > 0) await this.failOnWarnings(staging, encoders, rows);
  }

  /** LOAD DATA LOCAL reported warnings (a value the column cannot hold): the first of them, as an error. */
  private async failOnWarnings(staging: TableRef, encoders: readonly ColumnEncoder[], rows: readonly unknown[][]): Promise<never> {
    const warnings = await this.client.query<{ Level: string; Code: number; Message: string }>('SHOW WARNINGS LIMIT 5');
    const first = warnings[0];
    const at = first ? /column '((?:[^']|'')*)' at row (\d+)/i.exec(first.Message) : null;
    const column = at?.[1];
    const row = at ? Number(at[2]) - 1 : undefined;
    const index = column === undefined ? -1 : encoders.findIndex((e) => e.name === column);
    const value = row !== undefined && index >= 0 ? rows[row]?.[index] : undefined;
    const table = this.dialect.stagedFor.get(staging.name) ?? staging;
    const shown = value === undefined ? '' : ` (value ${JSON.stringify(encoders[index]!.text(value))?.slice(0, 80)})`;
    throw new RecordValidationError('VALUE_REJECTED', `MySQL refused a value for table ${this.dialect.qualify(table)}: ${first?.Message ?? 'warnings while loading'}${shown}`, {
      ...(row !== undefined ? { record: row } : {}),
      ...(column !== undefined ? { field: column } : {}),
      hint: 'the value does not fit the column type (too long, out of range, not a date): widen the column, or fix the source data; nothing of this batch was committed',
    });
  }

  /** Multi-row INSERTs of literals, each statement under the server's packet limit. */
  private async insertRows(staging: TableRef, encoders: readonly ColumnEncoder[], rows: readonly unknown[][]): Promise<void> {
    const head = `INSERT INTO ${this.dialect.qualify(staging)} (${encoders.map((e) => this.dialect.quoteIdentifier(e.name)).join(', ')}) VALUES `;
    const limit = Math.max(64 * 1024, Math.min(16 * 1024 * 1024, Math.floor(this.client.maxPacket / 2)));
    let tuples: string[] = [];
    let size = head.length;
    for (const row of rows) {
      const tuple = `(${encoders
        .map((e, i) => {
          const text = e.text(row[i]);
          if (text === null) return 'NULL';
          const literal = mysql.escape(text);
          return e.expression ? e.expression(literal) : literal;
        })
        .join(', ')})`;
      if (tuples.length > 0 && size + tuple.length + 2 > limit) {
        await this.execute(head + tuples.join(', '));
        tuples = [];
        size = head.length;
      }
      tuples.push(tuple);
      size += tuple.length + 2;
    }
    if (tuples.length > 0) await this.execute(head + tuples.join(', '));
  }

  async begin(): Promise<void> {
    await this.execute('START TRANSACTION');
  }

  async commit(): Promise<void> {
    await this.execute('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.execute('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
