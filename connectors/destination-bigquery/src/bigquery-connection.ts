import type { BigQuery, Job, JobMetadata } from '@google-cloud/bigquery';
import { bigQueryError, type ErrorProto } from '@mage-int/bigquery';
import type { Logger } from '@mage-int/core';
import type { LoadColumn, SqlConnection, SqlTable, StandardType, TableRef } from '@mage-int/core/sql';
import type { BigQueryDialect } from './bigquery-dialect.js';
import { loadFields, writeLoadFile } from './load-file.js';

/** Reasons of a failed job that mean "try again" (cloud.google.com/bigquery/docs/error-messages). */
const TRANSIENT_REASONS = new Set(['backendError', 'rateLimitExceeded', 'internalError', 'jobBackendError', 'jobInternalError']);
/**
 * A transaction cancelled because another one changed the same table meanwhile (two pipelines writing one table):
 * reported as `invalidQuery`, but nothing of it was applied, so running it again is safe.
 */
const CONCURRENT_UPDATE = /due to concurrent update|Could not serialize access to table/i;

/** Errors a job reported in its status, as one error (the first is the reason, the rest say where). */
function jobFailure(status: NonNullable<JobMetadata['status']>): Error & { errors: ErrorProto[] } {
  const errors = (status.errors ?? [status.errorResult]) as ErrorProto[];
  const first = (status.errorResult ?? errors[0] ?? {}) as ErrorProto;
  const detail = errors
    .slice(0, 5)
    .map((e) => e.message)
    .filter((m) => m && m !== first.message);
  const error = new Error([first.message ?? 'job failed', ...detail].join('; ')) as Error & { errors: ErrorProto[] };
  error.errors = [first, ...errors.filter((e) => e !== first)];
  return error;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * The SQL kit's connection over the official client: statements run as query jobs (jobs.insert, then jobs.get until
 * DONE), the statements of one commit as one multi-statement transaction, staged rows as a gzip NDJSON file uploaded
 * with a load job (the multipart upload of jobs.insert) into a staging table the job creates. Jobs that fail for a
 * transient reason run again (with a new job id) up to `jobRetries` times.
 */
export class BigQueryConnection implements SqlConnection<StandardType> {
  private transaction: string[] | undefined;

  constructor(
    private readonly bigquery: BigQuery,
    private readonly dialect: BigQueryDialect,
    private readonly options: { dataset: string; location?: string; jobRetries: number; logger: Logger; signal?: AbortSignal },
  ) {}

  /** Makes sure the dataset exists (datasets.get, and datasets.insert in `location` when it does not). */
  async ensureDataset(): Promise<void> {
    const dataset = this.bigquery.dataset(this.options.dataset);
    try {
      const [exists] = await dataset.exists();
      if (exists) return;
      this.options.logger.info(`creating dataset ${this.options.dataset}`, { location: this.options.location ?? 'US' });
      await dataset.create({ ...(this.options.location ? { location: this.options.location } : {}) });
    } catch (error) {
      if ((error as { code?: number }).code === 409) return; // created meanwhile by another run
      throw bigQueryError(error, `dataset ${this.options.dataset}`);
    }
  }

  async execute(sql: string): Promise<void> {
    if (this.transaction) this.transaction.push(sql);
    else await this.query(sql);
  }

  /** Runs statements as one query job, retried while its failure is transient. */
  async query(sql: string): Promise<JobMetadata> {
    return this.withRetries(`query ${sql.split('\n')[0]?.slice(0, 120)}`, async () => {
      const [job] = await this.bigquery.createQueryJob({
        query: sql,
        useLegacySql: false,
        jobPrefix: 'mage_int_',
        ...(this.options.location ? { location: this.options.location } : {}),
      });
      return this.waitFor(job);
    });
  }

  /** Polls jobs.get until the job is DONE (50 ms, doubling to 2 s); a job that failed throws its errors. */
  private async waitFor(job: Job): Promise<JobMetadata> {
    let metadata = job.metadata as JobMetadata;
    for (let delay = 50; metadata?.status?.state !== 'DONE'; delay = Math.min(delay * 2, 2000)) {
      await sleep(delay, this.options.signal);
      if (this.options.signal?.aborted) throw new Error('cancelled');
      [metadata] = await job.getMetadata();
    }
    if (metadata.status?.errorResult) throw jobFailure(metadata.status);
    return metadata;
  }

  private async withRetries<T>(what: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const first = (error as { errors?: ErrorProto[] }).errors?.[0];
        const reason = first?.reason;
        const transient = (reason !== undefined && TRANSIENT_REASONS.has(reason)) || CONCURRENT_UPDATE.test(first?.message ?? '');
        if (attempt >= this.options.jobRetries || !transient) throw bigQueryError(error, what);
        const wait = Math.min(1000 * 2 ** attempt, 30_000) * (0.5 + Math.random() / 2);
        this.options.logger.warn(`${what} failed (${reason}), trying again in ${Math.round(wait)} ms`, { attempt: attempt + 1 });
        await sleep(wait, this.options.signal);
      }
    }
  }

  async describeTable(table: TableRef): Promise<SqlTable<StandardType> | undefined> {
    try {
      const [metadata] = await this.bigquery.dataset(table.schema).table(table.name).getMetadata();
      const fields = (metadata.schema?.fields ?? []) as { name: string; type: string; mode?: string }[];
      return { columns: new Map(fields.map((f) => [f.name.toLowerCase(), this.dialect.fieldType(f.type, f.mode)])) };
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw bigQueryError(error, `table ${table.schema}.${table.name}`);
    }
  }

  /**
   * Writes the rows to a gzip NDJSON file and loads it into the staging table (created by the job with the staged
   * schema, truncated when it exists, so a retried load never doubles rows), then sets the table to expire.
   */
  async loadRows(staging: TableRef, columns: readonly LoadColumn<StandardType>[], rows: readonly unknown[][]): Promise<void> {
    const file = await writeLoadFile(columns, rows);
    const table = this.bigquery.dataset(staging.schema).table(staging.name);
    try {
      await this.withRetries(`load into ${staging.schema}.${staging.name}`, async () => {
        const [job] = await table.createLoadJob(file.path, {
          sourceFormat: 'NEWLINE_DELIMITED_JSON',
          schema: { fields: loadFields(columns) },
          createDisposition: 'CREATE_IF_NEEDED',
          writeDisposition: 'WRITE_TRUNCATE',
          jobPrefix: 'mage_int_load_',
        });
        return this.waitFor(job);
      });
      this.options.logger.debug(`loaded ${rows.length} rows (${file.bytes} bytes of NDJSON) into ${staging.name}`);
      const expires = Date.now() + this.dialect.stagingExpirationHours * 3_600_000;
      await table.setMetadata({ expirationTime: String(expires) });
    } finally {
      await file.remove();
    }
  }

  /** Statements until `commit` are collected and run as one multi-statement transaction. */
  async begin(): Promise<void> {
    this.transaction = [];
  }

  async commit(): Promise<void> {
    const statements = this.transaction ?? [];
    this.transaction = undefined;
    if (statements.length === 0) return;
    if (statements.length === 1) await this.query(statements[0] as string);
    else await this.query(['BEGIN TRANSACTION', ...statements, 'COMMIT TRANSACTION'].join(';\n') + ';');
  }

  async rollback(): Promise<void> {
    // Nothing ran yet: the transaction's statements are sent only at commit.
    this.transaction = undefined;
  }

  async close(): Promise<void> {}
}
