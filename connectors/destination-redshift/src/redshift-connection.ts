import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '@mage-int/core';
import type { LoadColumn, SqlConnection, SqlTable, StandardType, TableRef } from '@mage-int/core/sql';
import type { S3Storage } from '@mage-int/files-s3';
import { authorizationClause, maskedAuthorizationClause, redshiftError } from '@mage-int/redshift';
import type { CopyAuthorization } from './client.js';
import { writeLoadFile, type FileColumn } from './load-file.js';
import type { RedshiftDialect } from './redshift-dialect.js';

/**
 * The SQL kit's connection over node-postgres: statements one at a time (the simple protocol), the catalog from
 * SVV_COLUMNS, and bulk loads as a gzip CSV file uploaded to S3 (the files kit's S3 storage), loaded by
 * `COPY … FROM 's3://…'` into the staging table and deleted from S3 once the COPY has run (whether it succeeded).
 */
export class RedshiftConnection implements SqlConnection<StandardType> {
  /** Every statement sent (credentials masked), for tests and the debug log. */
  readonly statements: string[] = [];
  private files = 0;
  private readonly run = randomBytes(6).toString('hex');

  constructor(
    private readonly client: pg.Client,
    private readonly dialect: RedshiftDialect,
    private readonly storage: S3Storage,
    private readonly options: { auth: CopyAuthorization; region: string; logger: Logger },
  ) {}

  private async query(sql: string, shown = sql): Promise<pg.QueryResult> {
    this.statements.push(shown);
    this.options.logger.debug('redshift', { sql: shown.split('\n')[0]?.slice(0, 200) });
    return this.client.query(sql);
  }

  async execute(sql: string): Promise<void> {
    try {
      await this.query(sql);
    } catch (error) {
      throw redshiftError(error, sql.split('\n')[0]?.slice(0, 160) ?? 'statement');
    }
  }

  /** The table's columns from SVV_COLUMNS (undefined when it does not exist); Redshift enforces no unique key. */
  async describeTable(table: TableRef): Promise<SqlTable<StandardType> | undefined> {
    let result: pg.QueryResult;
    try {
      result = await this.query(
        `SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale FROM svv_columns WHERE table_schema = ${this.dialect.quoteLiteral(table.schema)} AND table_name = ${this.dialect.quoteLiteral(table.name)} ORDER BY ordinal_position`,
      );
    } catch (error) {
      throw redshiftError(error, `columns of ${table.schema}.${table.name}`);
    }
    if (result.rows.length === 0) return undefined;
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const columns = new Map<string, StandardType>(
      result.rows.map((r: Record<string, unknown>) => [
        String(r['column_name']),
        this.dialect.catalogType(
          String(r['data_type']),
          num(r['character_maximum_length']),
          num(r['numeric_precision']),
          num(r['numeric_scale']),
        ),
      ]),
    );
    this.dialect.remember(table, columns);
    return { columns };
  }

  /** Rows → gzip CSV → S3 → COPY into the staging table; the S3 object is deleted afterwards. */
  async loadRows(staging: TableRef, columns: readonly LoadColumn<StandardType>[], rows: readonly unknown[][]): Promise<void> {
    const fileColumns: FileColumn[] = columns.map((column) => ({
      column,
      text: column.type !== 'sequence' && column.type !== 'deleted' && ['string', 'uuid', 'json', 'binary'].includes(column.type.logical),
    }));
    const file = await writeLoadFile(fileColumns, rows);
    const key = `mage-int-redshift/${this.run}/${staging.name}-${++this.files}.csv.gz`;
    try {
      await this.storage.putFile(key, file.path);
      const copy = (auth: string) =>
        this.dialect.copyFromS3(
          staging,
          columns.map((c) => c.name),
          `${this.storage.location}${key}`,
          auth,
          this.options.region,
        );
      try {
        await this.query(copy(authorizationClause(this.options.auth)), copy(maskedAuthorizationClause(this.options.auth)));
      } catch (error) {
        throw redshiftError(error, `COPY into ${staging.name} from ${this.storage.location}${key}`);
      }
      this.options.logger.debug(`loaded ${rows.length} rows (${file.bytes} bytes of CSV before gzip) into ${staging.name}`);
    } finally {
      await file.remove();
      await this.storage
        .delete([key])
        .catch((error: unknown) =>
          this.options.logger.warn(`could not delete the load file ${this.storage.location}${key}: ${(error as Error).message}`),
        );
    }
  }

  async begin(): Promise<void> {
    await this.execute('BEGIN');
  }

  async commit(): Promise<void> {
    await this.execute('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.execute('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
    await this.storage.close();
  }
}
