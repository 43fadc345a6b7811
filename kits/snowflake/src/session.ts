import type { Logger } from '@mage-int/core';
import snowflake from 'snowflake-sdk';
import { SESSION_GONE, snowflakeError, snowflakeErrorCode } from './snowflake-error.js';

/** Data types the sdk hands over as the text Snowflake sent (its `fetchAsString`), instead of converting them. */
export type FetchAsString = 'String' | 'Boolean' | 'Number' | 'Date' | 'JSON' | 'Buffer';

/** A column of a result as the sdk describes it. */
export type ResultColumn = snowflake.Column;

/** What `SnowflakeSession.stream` yields: up to `batchRows` rows (arrays in column order) and the result's columns. */
export interface ResultBatch {
  columns: ResultColumn[];
  rows: unknown[][];
}

export interface SessionOptions {
  logger: Logger;
  /** Statements run after every login (`ALTER SESSION SET …`), again after a new login. */
  setup?: readonly string[];
  /** Says what is logged in to, in errors (`login to <what>`). */
  what?: string;
  /**
   * Log in again when the session is gone and send the statement again (default true). Off for a session that
   * holds a transaction open: a statement sent again on a new session would run outside it.
   */
  relogin?: boolean;
}

function connect(options: snowflake.ConnectionOptions): Promise<snowflake.Connection> {
  const connection = snowflake.createConnection(options);
  return new Promise((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve(connection))));
}

/**
 * One Snowflake session over the official sdk. The sdk renews an expired session token with the master token by
 * itself (code 390112); when the session is gone for good (390114: the master token expired; 390104) a statement
 * that has returned nothing yet is sent again on a new login, with the `setup` statements replayed first.
 */
export class SnowflakeSession {
  /** Every statement sent, for tests and the debug log. */
  readonly statements: string[] = [];

  private constructor(
    private connection: snowflake.Connection,
    private readonly connectionOptions: snowflake.ConnectionOptions,
    private readonly options: SessionOptions,
  ) {}

  /** Logs in (password or key pair) and runs the setup statements. */
  static async open(connectionOptions: snowflake.ConnectionOptions, options: SessionOptions): Promise<SnowflakeSession> {
    const session = new SnowflakeSession(await SnowflakeSession.login(connectionOptions, options), connectionOptions, options);
    await session.runSetup();
    return session;
  }

  private static async login(connectionOptions: snowflake.ConnectionOptions, options: SessionOptions): Promise<snowflake.Connection> {
    try {
      return await connect(connectionOptions);
    } catch (error) {
      throw snowflakeError(error, `login to ${options.what ?? connectionOptions.accessUrl ?? connectionOptions.account}`);
    }
  }

  private async runSetup(): Promise<void> {
    for (const sql of this.options.setup ?? []) {
      try {
        await this.send(sql);
      } catch (error) {
        throw snowflakeError(error, sql.split('\n')[0]?.slice(0, 120) ?? 'session setup');
      }
    }
  }

  private async relogin(): Promise<void> {
    this.options.logger.info('the Snowflake session expired; logging in again');
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
    this.connection = await SnowflakeSession.login(this.connectionOptions, this.options);
    await this.runSetup();
  }

  private send(sql: string, fetchAsString?: readonly FetchAsString[]): Promise<Record<string, unknown>[]> {
    this.statements.push(sql);
    this.options.logger.debug('snowflake', { sql: sql.split('\n')[0]?.slice(0, 200) });
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText: sql,
        ...(fetchAsString ? { fetchAsString: [...fetchAsString] as snowflake.DataType[] } : {}),
        complete: (error, _statement, rows) => {
          if (error) reject(error);
          else resolve((rows ?? []) as Record<string, unknown>[]);
        },
      });
    });
  }

  /** Runs one statement and returns its rows (objects keyed by column name); a sdk error is thrown as it is. */
  async queryRaw(sql: string, fetchAsString?: readonly FetchAsString[]): Promise<Record<string, unknown>[]> {
    try {
      return await this.send(sql, fetchAsString);
    } catch (error) {
      if (this.options.relogin === false || !SESSION_GONE.has(snowflakeErrorCode(error) ?? '')) throw error;
      await this.relogin();
      return this.send(sql, fetchAsString);
    }
  }

  /** Runs one statement and returns its rows; errors as `snowflakeError(error, what)`. */
  async query(sql: string, what: string, fetchAsString?: readonly FetchAsString[]): Promise<Record<string, unknown>[]> {
    try {
      return await this.queryRaw(sql, fetchAsString);
    } catch (error) {
      throw snowflakeError(error, what);
    }
  }

  /** The columns a query's result would have (run as given: wrap it in `… LIMIT 0` to read nothing). */
  async columnsOf(sql: string, what: string): Promise<ResultColumn[]> {
    const once = () =>
      new Promise<ResultColumn[]>((resolve, reject) => {
        this.statements.push(sql);
        this.connection.execute({
          sqlText: sql,
          complete: (error, statement) => {
            if (error) reject(error);
            else resolve(statement.getColumns() ?? []);
          },
        });
      });
    try {
      try {
        return await once();
      } catch (error) {
        if (this.options.relogin === false || !SESSION_GONE.has(snowflakeErrorCode(error) ?? '')) throw error;
        await this.relogin();
        return await once();
      }
    } catch (error) {
      throw snowflakeError(error, what);
    }
  }

  /**
   * Runs a query and streams its result (the sdk's `streamRows`): rows come as the sdk reads them — the first chunk
   * from the answer, further chunks downloaded as the rows are consumed (a few ahead, `resultPrefetch` of the sdk),
   * so memory holds a few chunks, never the whole result. Rows are arrays in column order (`rowMode: 'array'`).
   */
  async *stream(sql: string, what: string, batchRows: number, fetchAsString?: readonly FetchAsString[]): AsyncGenerator<ResultBatch> {
    let yielded = false;
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const batch of this.streamOnce(sql, batchRows, fetchAsString)) {
          yielded = true;
          yield batch;
        }
        return;
      } catch (error) {
        if (yielded || attempt > 0 || this.options.relogin === false || !SESSION_GONE.has(snowflakeErrorCode(error) ?? ''))
          throw snowflakeError(error, what);
        await this.relogin();
      }
    }
  }

  private async *streamOnce(sql: string, batchRows: number, fetchAsString?: readonly FetchAsString[]): AsyncGenerator<ResultBatch> {
    this.statements.push(sql);
    this.options.logger.debug('snowflake', { sql: sql.split('\n')[0]?.slice(0, 200) });
    let failed: unknown;
    const statement = this.connection.execute({
      sqlText: sql,
      streamResult: true,
      rowMode: 'array',
      ...(fetchAsString ? { fetchAsString: [...fetchAsString] as snowflake.DataType[] } : {}),
      complete: (error) => {
        if (error) failed = error;
      },
    });
    const rows = statement.streamRows();
    let batch: unknown[][] = [];
    for await (const row of rows) {
      batch.push(row as unknown[]);
      if (batch.length >= batchRows) {
        yield { columns: statement.getColumns() ?? [], rows: batch };
        batch = [];
      }
    }
    if (failed) throw failed;
    if (batch.length > 0) yield { columns: statement.getColumns() ?? [], rows: batch };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }
}
