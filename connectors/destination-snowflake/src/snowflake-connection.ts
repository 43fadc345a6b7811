import type { Logger } from '@mage-int/core';
import type { LoadColumn, SqlConnection, SqlTable, StandardType, TableRef } from '@mage-int/core/sql';
import { SnowflakeSession, snowflakeError, snowflakeErrorCode } from '@mage-int/snowflake';
import type snowflake from 'snowflake-sdk';
import type { ExternalStage } from './external-stage.js';
import { writeLoadFile } from './load-file.js';
import type { SnowflakeDialect } from './snowflake-dialect.js';

/** A table that does not exist (or the role may not see): SQL compilation error 002003. */
const NOT_FOUND = '002003';

/**
 * The SQL kit's connection over the official `snowflake-sdk`: one session; statements one at a time; staged rows
 * as a gzip CSV file PUT to the staging table's table stage (or a named stage) and loaded with `COPY INTO`;
 * transactions as `BEGIN` … `COMMIT` (Snowflake commits DDL implicitly, which the kit keeps outside them).
 */
export class SnowflakeConnection implements SqlConnection<StandardType> {
  private constructor(
    private readonly session: SnowflakeSession,
    private readonly dialect: SnowflakeDialect,
    private readonly options: { stage?: string; externalStage?: ExternalStage; logger: Logger },
  ) {}

  /** Every statement sent, for tests and the debug log. */
  get statements(): string[] {
    return this.session.statements;
  }

  /** Logs in (password or key pair) and sets the session's time zone (UTC) and statement timeout. */
  static async open(
    connectionOptions: snowflake.ConnectionOptions,
    dialect: SnowflakeDialect,
    options: { stage?: string; externalStage?: ExternalStage; logger: Logger; queryTimeoutSeconds?: number },
  ): Promise<SnowflakeConnection> {
    // UTC: a timestamp without an offset loaded into TIMESTAMP_TZ is taken in the session's time zone (the account's
    // default is America/Los_Angeles), and soft deletes stamp CURRENT_TIMESTAMP in it.
    const timeout = options.queryTimeoutSeconds ? ` STATEMENT_TIMEOUT_IN_SECONDS = ${Math.trunc(options.queryTimeoutSeconds)}` : '';
    // No new login behind the session's back: it holds the load's transaction.
    const session = await SnowflakeSession.open(connectionOptions, {
      logger: options.logger,
      setup: [`ALTER SESSION SET TIMEZONE = 'UTC'${timeout}`],
      relogin: false,
    });
    return new SnowflakeConnection(session, dialect, options);
  }

  /** Runs one statement and returns its rows (objects keyed by the result's column names). */
  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.session.queryRaw(sql);
  }

  private run(sql: string, what: string): Promise<Record<string, unknown>[]> {
    return this.session.query(sql, what);
  }

  async execute(sql: string): Promise<void> {
    await this.run(sql, sql.split('\n')[0]?.slice(0, 120) ?? 'statement');
  }

  /** `DESCRIBE TABLE`: the columns (named as the kit names them) and their types; undefined when missing. */
  async describeTable(table: TableRef): Promise<SqlTable<StandardType> | undefined> {
    let rows: Record<string, unknown>[];
    try {
      rows = await this.query(`DESCRIBE TABLE ${this.dialect.qualify(table)}`);
    } catch (error) {
      if (snowflakeErrorCode(error) === NOT_FOUND) return undefined;
      throw snowflakeError(error, `table ${table.schema}.${table.name}`);
    }
    return {
      columns: new Map(
        rows
          .filter((r) => String(r['kind'] ?? 'COLUMN') === 'COLUMN')
          .map((r) => [this.dialect.kitName(String(r['name'])), this.dialect.catalogType(String(r['type']))]),
      ),
    };
  }

  /**
   * Writes the rows to a gzip CSV file and copies it into the staging table: PUT to the stage (the table's own, or a
   * named internal one) and `COPY … PURGE = TRUE`; or, with an external stage, uploaded to S3 by the AWS SDK, copied,
   * and deleted from the bucket whether the COPY succeeded or not.
   */
  async loadRows(staging: TableRef, columns: readonly LoadColumn<StandardType>[], rows: readonly unknown[][]): Promise<void> {
    const file = await writeLoadFile(columns, rows);
    try {
      const external = this.options.externalStage;
      if (external) {
        const create = external.createStatement();
        if (create) await this.run(create, `CREATE TEMPORARY STAGE on ${external.url}`);
        const staged = await external.upload(staging.name, file.path);
        try {
          await this.run(this.dialect.copyInto(staging, columns, staged.stage, staged.file, { purge: false }), `COPY INTO ${staging.name}`);
        } finally {
          await staged.remove();
        }
      } else {
        const stage = this.options.stage ? `@${this.options.stage}/${staging.name}` : this.dialect.tableStage(staging);
        await this.run(this.dialect.put(file.path, stage), `PUT ${file.name} to ${stage}`);
        await this.run(this.dialect.copyInto(staging, columns, stage, file.name), `COPY INTO ${staging.name}`);
      }
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
    await this.session.close();
    await this.options.externalStage?.close();
  }
}
