import { ConnectorError, type Logger } from '@mage-int/core';
import type { LoadColumn, SqlConnection, SqlTable, StandardType, TableRef } from '@mage-int/core/sql';
import snowflake from 'snowflake-sdk';
import { writeLoadFile } from './load-file.js';
import type { SnowflakeDialect } from './snowflake-dialect.js';

/** Snowflake's error codes with a hint (docs.snowflake.com/en/user-guide/admin-security-fed-auth-troubleshooting …). */
const HINTS: Record<string, string> = {
  '390100': 'the user name or password was refused: check user and password (or the key pair)',
  '390144': 'the JWT was refused: set the public key on the user (ALTER USER … SET RSA_PUBLIC_KEY = …) and check account and user',
  '002003': 'the object does not exist or the role lacks a grant: grant USAGE on the database and schema (see the README)',
  '003001': 'the role lacks a privilege: grant USAGE on the warehouse, database and schema and CREATE TABLE on the schema (see the README)',
  '000606': 'no warehouse is in use: set `warehouse` and grant USAGE on it',
  '390189': 'the role is not granted to the user: check `role`',
  '390201': 'check `database`, `schema` and `warehouse` exist and the role may use them',
};

/** An error of the sdk or of Snowflake, with its code and what the user can do. */
export function snowflakeError(error: unknown, what: string): ConnectorError {
  const e = error as { code?: string | number; message?: string; sqlState?: string };
  const code = e.code === undefined ? undefined : String(e.code);
  const hint = code ? HINTS[code] : undefined;
  return new ConnectorError('SNOWFLAKE_ERROR', `${what}: ${e.message ?? String(error)}${code ? ` (${code})` : ''}`, {
    cause: error,
    ...(hint ? { hint } : {}),
  });
}

/** A table that does not exist (or the role may not see): SQL compilation error 002003. */
const NOT_FOUND = '002003';

/**
 * The SQL kit's connection over the official `snowflake-sdk`: one session; statements one at a time; staged rows
 * as a gzip CSV file PUT to the staging table's table stage (or a named stage) and loaded with `COPY INTO`;
 * transactions as `BEGIN` … `COMMIT` (Snowflake commits DDL implicitly, which the kit keeps outside them).
 */
export class SnowflakeConnection implements SqlConnection<StandardType> {
  /** Every statement sent, for tests and the debug log. */
  readonly statements: string[] = [];

  private constructor(
    private readonly connection: snowflake.Connection,
    private readonly dialect: SnowflakeDialect,
    private readonly options: { stage?: string; logger: Logger },
  ) {}

  /** Logs in (password or key pair) and sets the session's time zone (UTC) and statement timeout. */
  static async open(
    connectionOptions: snowflake.ConnectionOptions,
    dialect: SnowflakeDialect,
    options: { stage?: string; logger: Logger; queryTimeoutSeconds?: number },
  ): Promise<SnowflakeConnection> {
    const connection = snowflake.createConnection(connectionOptions);
    try {
      await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      throw snowflakeError(error, `login to ${connectionOptions.accessUrl ?? connectionOptions.account}`);
    }
    const self = new SnowflakeConnection(connection, dialect, options);
    // UTC: a timestamp without an offset loaded into TIMESTAMP_TZ is taken in the session's time zone (the account's
    // default is America/Los_Angeles), and soft deletes stamp CURRENT_TIMESTAMP in it.
    const timeout = options.queryTimeoutSeconds ? ` STATEMENT_TIMEOUT_IN_SECONDS = ${Math.trunc(options.queryTimeoutSeconds)}` : '';
    await self.run(`ALTER SESSION SET TIMEZONE = 'UTC'${timeout}`, 'ALTER SESSION');
    return self;
  }

  /** Runs one statement and returns its rows (objects keyed by the result's column names). */
  query(sql: string): Promise<Record<string, unknown>[]> {
    this.statements.push(sql);
    this.options.logger.debug('snowflake', { sql: sql.split('\n')[0]?.slice(0, 200) });
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText: sql,
        complete: (error, _statement, rows) => {
          if (error) reject(error);
          else resolve((rows ?? []) as Record<string, unknown>[]);
        },
      });
    });
  }

  private async run(sql: string, what: string): Promise<Record<string, unknown>[]> {
    try {
      return await this.query(sql);
    } catch (error) {
      throw snowflakeError(error, what);
    }
  }

  async execute(sql: string): Promise<void> {
    await this.run(sql, sql.split('\n')[0]?.slice(0, 120) ?? 'statement');
  }

  /** `DESCRIBE TABLE`: the columns (names lower-cased, as the kit names them) and their types; undefined when missing. */
  async describeTable(table: TableRef): Promise<SqlTable<StandardType> | undefined> {
    let rows: Record<string, unknown>[];
    try {
      rows = await this.query(`DESCRIBE TABLE ${this.dialect.qualify(table)}`);
    } catch (error) {
      if (String((error as { code?: unknown }).code) === NOT_FOUND) return undefined;
      throw snowflakeError(error, `table ${table.schema}.${table.name}`);
    }
    return {
      columns: new Map(
        rows
          .filter((r) => String(r['kind'] ?? 'COLUMN') === 'COLUMN')
          .map((r) => [String(r['name']).toLowerCase(), this.dialect.catalogType(String(r['type']))]),
      ),
    };
  }

  /** Writes the rows to a gzip CSV file, PUTs it to the stage and copies it into the staging table. */
  async loadRows(staging: TableRef, columns: readonly LoadColumn<StandardType>[], rows: readonly unknown[][]): Promise<void> {
    const file = await writeLoadFile(columns, rows);
    const stage = this.options.stage ? `@${this.options.stage}/${staging.name}` : this.dialect.tableStage(staging);
    try {
      await this.run(this.dialect.put(file.path, stage), `PUT ${file.name} to ${stage}`);
      await this.run(this.dialect.copyInto(staging, columns, stage, file.name), `COPY INTO ${staging.name}`);
      this.options.logger.debug(`loaded ${rows.length} rows (${file.bytes} bytes of gzip CSV) into ${staging.name}`);
    } finally {
      await file.remove();
    }
  }

  async begin(): Promise<void> {
    await this.run('BEGIN', 'BEGIN');
  }

  async commit(): Promise<void> {
    await this.run('COMMIT', 'COMMIT');
  }

  async rollback(): Promise<void> {
    await this.run('ROLLBACK', 'ROLLBACK');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }
}
