import { QueryJobV2 } from '@jsforce/jsforce-node/lib/api/bulk2.js';
import { parseCSV } from '@jsforce/jsforce-node/lib/csv.js';
import { HttpError, type JsonSchema, type RecordData, type SourceStream, type StreamBatch, type StreamSync } from '@mage-int/core';
import { fieldValue, isCompound, type FieldDescribe } from './field-types.js';
import { call, type SalesforceConnection } from './salesforce-client.js';

/** Settings every sObject stream shares. */
export interface SObjectSettings {
  /** start_date, ISO. */
  startValue?: string;
  /** Above this many rows a sync uses Bulk API 2.0 (0: always). */
  bulkThreshold: number;
  bulkPollIntervalMs: number;
  /** Mage's api_type: `REST` never uses Bulk API 2.0, `BULK` always does (where the object supports it); else the threshold decides. */
  api?: 'REST' | 'BULK';
}

/** The replication key of an sObject: the first of these it has (none: FULL_TABLE only). */
export const REPLICATION_KEYS = ['SystemModstamp', 'LastModifiedDate', 'CreatedDate'] as const;

/** Errors saying an object cannot be read this way (not queryable, or not by Bulk API 2.0). */
const UNSUPPORTED = /INVALID_TYPE_FOR_OPERATION|INVALID_TYPE|INVALIDENTITY|NOT_SUPPORTED|not supported|does not support query/i;

type QueryPage = { records: Record<string, unknown>[]; done: boolean; nextRecordsUrl?: string; totalSize: number };

/**
 * One sObject as a stream, keyed by `Id`, INCREMENTAL on SystemModstamp (or LastModifiedDate, CreatedDate). A sync
 * reads the rows modified since the bookmark (or start_date): first `SELECT COUNT()` of them, then — up to
 * `bulk_threshold` rows — a REST `queryAll` (deleted rows included, `IsDeleted` → `_sdc_deleted_at`) ordered by
 * the key and followed by `nextRecordsUrl` to the end, or above it a Bulk API 2.0 `queryAll` job (its CSV pages
 * followed by `Sforce-Locator`). An object Bulk API 2.0 refuses is read by REST; one neither can read is
 * reported and skipped.
 */
export class SObjectStream implements SourceStream {
  readonly keyProperties = ['Id'] as const;
  readonly replicationKey?: string;
  readonly validReplicationKeys: readonly string[];
  readonly methods: readonly ('FULL_TABLE' | 'INCREMENTAL')[];
  readonly startValue?: string;

  constructor(
    private readonly connection: SalesforceConnection,
    readonly name: string,
    private readonly settings: SObjectSettings,
    keys: readonly string[],
  ) {
    this.replicationKey = keys[0];
    this.validReplicationKeys = keys;
    this.methods = keys.length > 0 ? ['FULL_TABLE', 'INCREMENTAL'] : ['FULL_TABLE'];
    this.startValue = settings.startValue;
  }

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const columns = sync.entry.schema.properties ?? {};
    const fields = sync.fields.filter((f) => f in columns && f !== '_sdc_deleted_at').map((f) => fieldOf(f, columns[f]));
    for (const required of [
      'Id',
      ...(sync.replicationKey ? [sync.replicationKey] : []),
      ...('IsDeleted' in columns ? ['IsDeleted'] : []),
    ]) {
      if (!fields.some((f) => f.name === required) && required in columns) fields.push(fieldOf(required, columns[required]));
    }
    const key = sync.method === 'INCREMENTAL' ? sync.replicationKey : this.replicationKey;
    const start = sync.method === 'INCREMENTAL' ? sync.start : this.settings.startValue;
    // No upper bound: rows changed while the query runs are either in its results or after the bookmark it leaves.
    const where = key && start !== undefined && start !== null ? [`${key} >= ${soqlDateTime(Date.parse(String(start)))}`] : [];
    const all = sync.method === 'INCREMENTAL' && 'IsDeleted' in columns;
    const from = `FROM ${this.name}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const bulk = await this.useBulk(from, all, sync);
    try {
      // Bulk API 2.0 cannot select address and location fields; their components (BillingCity, …) carry the values.
      const read = bulk ? fields.filter((f) => !isCompound(f)) : fields;
      const pages = bulk
        ? this.bulkPages(read, from, all, sync)
        : this.restPages(read, `${from}${key ? ` ORDER BY ${key} ASC` : ''}`, all, sync);
      for await (const page of pages)
        yield { records: page.map((row) => this.record(row, fields)), time_extracted: new Date().toISOString() };
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 400 || !UNSUPPORTED.test(error.message)) throw error;
      sync.logger.warn(`${this.name}: skipped, Salesforce cannot query it: ${error.message}`, { stream: this.name });
    }
  }

  /** Whether this sync goes through Bulk API 2.0: more rows than the threshold, and the object supports it. */
  private async useBulk(from: string, all: boolean, sync: StreamSync): Promise<boolean> {
    const { connection, settings } = this;
    if (settings.api === 'REST') return false;
    if (settings.api !== 'BULK' && settings.bulkThreshold > 0) {
      const site = { stream: this.name, request: `GET ${all ? 'queryAll' : 'query'} SELECT COUNT() ${from}` };
      try {
        const count = await call(connection, site, () => connection.conn.request<QueryPage>(this.queryUrl(`SELECT COUNT() ${from}`, all)));
        if (count.totalSize <= settings.bulkThreshold) return false;
        sync.logger.info(
          `${this.name}: ${count.totalSize} rows to read, more than bulk_threshold (${settings.bulkThreshold}): using Bulk API 2.0`,
          { stream: this.name },
        );
      } catch (error) {
        // An object that cannot be counted cannot be queried either: reported once, by the read.
        if (error instanceof HttpError && error.status === 400 && UNSUPPORTED.test(error.message)) return false;
        throw error;
      }
    }
    return true;
  }

  private queryUrl(soql: string, all: boolean): string {
    return `/services/data/v${this.connection.version}/${all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`;
  }

  /** REST query pages, following `nextRecordsUrl` to the end. */
  private async *restPages(
    fields: readonly FieldDescribe[],
    rest: string,
    all: boolean,
    sync: StreamSync,
  ): AsyncGenerator<Record<string, unknown>[]> {
    const { connection } = this;
    const soql = `SELECT ${fields.map((f) => f.name).join(', ')} ${rest}`;
    let url: string | undefined = this.queryUrl(soql, all);
    const site = { stream: this.name, request: `GET ${all ? 'queryAll' : 'query'} ${soql.slice(0, 120)}` };
    while (url !== undefined) {
      sync.signal.throwIfAborted();
      const next: string = url;
      const page = await call(connection, site, () => connection.conn.request<QueryPage>(next));
      yield page.records;
      url = page.done ? undefined : page.nextRecordsUrl;
    }
  }

  /** Bulk API 2.0 query job results (CSV rows as text), in pages. Falls back to REST when the object is refused. */
  private async *bulkPages(
    fields: readonly FieldDescribe[],
    from: string,
    all: boolean,
    sync: StreamSync,
  ): AsyncGenerator<Record<string, unknown>[]> {
    const { connection, settings } = this;
    const soql = `SELECT ${fields.map((f) => f.name).join(', ')} ${from}`;
    const site = { stream: this.name, request: `POST jobs/query ${soql.slice(0, 120)}` };
    const job = new QueryJobV2(connection.conn, {
      bodyParams: { query: soql, operation: all ? 'queryAll' : 'query' },
      pollingOptions: { pollInterval: settings.bulkPollIntervalMs, pollTimeout: 24 * 3_600_000 },
    });
    try {
      await call(connection, site, async () => {
        await job.open();
        await job.poll(settings.bulkPollIntervalMs, 24 * 3_600_000);
      });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 400 || !UNSUPPORTED.test(error.message)) throw error;
      sync.logger.warn(`${this.name}: Bulk API 2.0 refused the object (${error.message}); reading it by REST query`, { stream: this.name });
      const allFields = sync.fields.filter((f) => f !== '_sdc_deleted_at').map((f) => fieldOf(f, sync.entry.schema.properties?.[f]));
      yield* this.restPages(allFields.length > 0 ? allFields : fields, from, all, sync);
      return;
    }
    // The result pages are fetched here, one CSV page at a time (jsforce's result() would join them into one stream).
    for (let locator: string | undefined; locator !== 'null'; ) {
      sync.signal.throwIfAborted();
      const url = `${connection.conn.instanceUrl}/services/data/v${connection.version}/jobs/query/${job.id}/results${locator ? `?locator=${encodeURIComponent(locator)}` : ''}`;
      const get = () =>
        connection.http.fetch(url, { headers: { authorization: `Bearer ${connection.conn.accessToken ?? ''}`, accept: 'text/csv' } });
      let response = await get();
      if (response.status === 401 && connection.conn._refreshDelegate) {
        await response.body?.cancel();
        await connection.conn._refreshDelegate.refresh(Date.now());
        response = await get();
      }
      const text = await response.text();
      if (!response.ok)
        throw new HttpError(response.status, `GET jobs/query/${job.id}/results answered HTTP ${response.status}: ${text.slice(0, 300)}`, {
          stream: this.name,
          hint: 'Bulk API 2.0 results are kept 7 days after the job completes',
        });
      yield parseCSV(text) as Record<string, unknown>[];
      locator = response.headers.get('sforce-locator') ?? 'null';
    }
  }

  private record(row: Record<string, unknown>, fields: readonly FieldDescribe[]): RecordData {
    const record: RecordData = {};
    const site = { stream: this.name, record: String(row['Id']) };
    for (const field of fields) if (field.name in row) record[field.name] = fieldValue(field, row[field.name], site);
    if (record['IsDeleted'] === true)
      record['_sdc_deleted_at'] = record['SystemModstamp'] ?? record['LastModifiedDate'] ?? new Date().toISOString();
    return record;
  }
}

/**
 * A SOQL dateTime literal (`2024-03-15T10:30:00Z`), to the second: SOQL's documented form has no fractions. The
 * bound rounds down, so rows of the bookmark's own second are read again (and upserted).
 */
function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A field's Salesforce type, read back from its column schema (the inverse of fieldSchema, as far as values need). */
export function fieldOf(name: string, schema: JsonSchema | undefined): FieldDescribe {
  const types = Array.isArray(schema?.type) ? schema.type : [schema?.type];
  const type = types.includes('boolean')
    ? 'boolean'
    : types.includes('integer')
      ? 'int'
      : types.includes('number')
        ? 'double'
        : types.includes('object')
          ? 'address'
          : schema?.format === 'date-time'
            ? 'datetime'
            : schema?.format === 'date'
              ? 'date'
              : 'string';
  return { name, type };
}
