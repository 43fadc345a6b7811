import {
  buildCatalogStream,
  exactNumber,
  type CatalogStream,
  type JsonSchema,
  type RecordData,
  type SourceStream,
  type StreamSync,
} from '@mage-int/core';
import type { GaConnection, RunReportResponse } from './ga-client.js';
import type { ResolvedConfig } from './generated/config.js';

type Report = ResolvedConfig['reports'][number];

/** A GA4 field name as a column: `customEvent:plan` → `customEvent_plan`. */
export const fieldName = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

/** YYYYMMDD (the API's `date`) → YYYY-MM-DD. */
const isoDate = (value: string): string => (/^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}` : value);

/** A metric's JSON Schema from its header type: integers stay integers, every other type is an exact decimal. */
function metricSchema(type: unknown): JsonSchema {
  return type === 'TYPE_INTEGER' ? { type: ['null', 'integer'] } : { type: ['null', 'number'], 'x-decimal': true };
}

/** A metric value (the API sends text) as an exact number; `TYPE_INTEGER` as an integer. */
function metricValue(text: string | null | undefined): unknown {
  if (text === undefined || text === null || text === '') return null;
  const parsed = Number(text);
  return Number.isNaN(parsed) ? text : exactNumber(text, parsed);
}

const today = (): string => new Date().toISOString().slice(0, 10);

/**
 * One report of the config as a stream. Without `date_ranges` it is read by day: `date` is a dimension (added when
 * missing) and the replication key, a sync reads from the bookmark moved back by `lookback_window_days` (GA4 data
 * of recent days still changes) to today. With `date_ranges` the report is read whole over them (FULL_TABLE).
 * The key is the dimensions; pages are read by `offset` and `limit` until `rowCount`.
 */
export class ReportStream implements SourceStream {
  readonly name: string;
  readonly keyProperties: readonly string[];
  readonly methods: readonly ('FULL_TABLE' | 'INCREMENTAL')[];
  readonly replicationKey?: string;
  readonly validReplicationKeys?: readonly string[];
  readonly lookback: number;
  readonly startValue: string;
  readonly dimensions: string[];
  private readonly fixedRanges: boolean;

  constructor(
    private readonly connection: GaConnection,
    private readonly report: Report,
    private readonly config: ResolvedConfig,
  ) {
    this.name = report.name;
    this.fixedRanges = (report.date_ranges?.length ?? 0) > 0;
    this.dimensions = this.fixedRanges || report.dimensions.includes('date') ? [...report.dimensions] : ['date', ...report.dimensions];
    // Several date ranges: the API adds a `dateRange` dimension telling the rows apart.
    const keyDimensions = (report.date_ranges?.length ?? 0) > 1 ? [...this.dimensions, 'dateRange'] : this.dimensions;
    this.keyProperties = keyDimensions.map(fieldName);
    this.methods = this.fixedRanges ? ['FULL_TABLE'] : ['INCREMENTAL', 'FULL_TABLE'];
    if (!this.fixedRanges) {
      this.replicationKey = 'date';
      this.validReplicationKeys = ['date'];
    }
    this.lookback = config.lookback_window_days * 86_400;
    this.startValue = config.start_date ?? new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  }

  /** The catalog entry: dimensions as strings (`date` a date), metrics typed from a one-row report's metric headers. */
  async catalogEntry(): Promise<CatalogStream> {
    const response = await this.connection.runReport(this.name, {
      ...this.request(),
      dateRanges: [{ startDate: 'yesterday', endDate: 'today' }],
      limit: 1,
    });
    const properties: Record<string, JsonSchema> = {};
    for (const name of this.keyProperties)
      properties[name] = name === 'date' ? { type: 'string', format: 'date' } : { type: ['null', 'string'] };
    for (const header of response.metricHeaders ?? []) properties[fieldName(header.name ?? '')] = metricSchema(header.type);
    return buildCatalogStream({
      stream: this.name,
      schema: { type: 'object', properties },
      keyProperties: [...this.keyProperties],
      ...(this.replicationKey
        ? { validReplicationKeys: ['date'], replicationMethod: 'INCREMENTAL', replicationKey: 'date' }
        : { replicationMethod: 'FULL_TABLE' }),
    });
  }

  async *read(sync: StreamSync): AsyncIterable<RecordData[]> {
    const from = sync.method === 'INCREMENTAL' && typeof sync.start === 'string' ? sync.start.slice(0, 10) : this.startValue;
    const dateRanges = this.fixedRanges
      ? (this.report.date_ranges ?? []).map((r) => ({ startDate: r.start_date, endDate: r.end_date }))
      : [{ startDate: from, endDate: today() }];
    sync.logger.info(`runReport ${dateRanges.map((r) => `${r.startDate}..${r.endDate}`).join(', ')}`, { stream: this.name });
    for (let offset = 0; ; ) {
      const response = await this.connection.runReport(this.name, { ...this.request(), dateRanges, offset, limit: this.config.page_size });
      const rows = this.records(response);
      if (rows.length > 0) yield rows;
      offset += rows.length;
      // rowCount counts every row of the report, not the page: read on until it is reached.
      if (rows.length === 0 || offset >= Number(response.rowCount ?? 0)) return;
    }
  }

  private request() {
    return { dimensions: this.dimensions.map((name) => ({ name })), metrics: this.report.metrics.map((name) => ({ name })) };
  }

  private records(response: RunReportResponse): RecordData[] {
    const dimensions = (response.dimensionHeaders ?? []).map((h) => fieldName(h.name ?? ''));
    const metrics = (response.metricHeaders ?? []).map((h) => fieldName(h.name ?? ''));
    return (response.rows ?? []).map((row) => {
      const record: RecordData = {};
      dimensions.forEach((name, i) => {
        const value = row.dimensionValues?.[i]?.value ?? null;
        record[name] = name === 'date' && value !== null ? isoDate(value) : value;
      });
      metrics.forEach((name, i) => (record[name] = metricValue(row.metricValues?.[i]?.value)));
      return record;
    });
  }
}
