// A stand-in for the Google Analytics 4 Data API (v1beta): a gRPC server on 127.0.0.1 built from the .proto files
// that @google-analytics/data ships (build/protos/google/analytics/data/v1beta/analytics_data_api.proto, imports
// from google-gax's protos), so the official client talks to it over its real gRPC stack. It answers `RunReport`
// as documented (developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport):
// rows of dimension and metric values (strings) for the requested dimensions and metrics within the date ranges,
// `dimensionHeaders`, `metricHeaders` with each metric's type, `rowCount` (all rows, not the page), paged by
// `offset` and `limit` (default 10,000, at most 250,000); `date` values are YYYYMMDD. An unknown property answers
// NOT_FOUND, an unknown field INVALID_ARGUMENT; planned faults answer any gRPC status (RESOURCE_EXHAUSTED,
// UNAUTHENTICATED) for the next calls. Clients connect with insecure channel credentials (no auth is sent).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** A metric type of the Data API (`MetricType`). */
export type GaMetricType = 'TYPE_INTEGER' | 'TYPE_FLOAT' | 'TYPE_CURRENCY' | 'TYPE_SECONDS' | 'TYPE_MILLISECONDS' | 'TYPE_STANDARD';

/** One day of data: dimension values and metric values (numbers; served as the API's strings). */
export interface GaFact {
  /** YYYY-MM-DD. */
  date: string;
  dimensions: Record<string, string>;
  metrics: Record<string, number>;
}

export interface GoogleAnalyticsStandInOptions {
  /** The property served (`properties/{id}`); default `123456789`. */
  propertyId?: string;
  /** Metric types; default: the common GA4 metrics (activeUsers, sessions, screenPageViews integers, …). */
  metricTypes?: Record<string, GaMetricType>;
  /** Dimensions known besides `date`; default country, deviceCategory, sessionSource, pagePath. */
  dimensions?: readonly string[];
}

/** A planned gRPC failure for the next `times` RunReport calls. */
export interface GaFault {
  code: grpc.status;
  details: string;
  times?: number;
}

/** One RunReport call as the stand-in saw it. */
export interface GaCall {
  property: string;
  dimensions: string[];
  metrics: string[];
  dateRanges: { startDate: string; endDate: string }[];
  offset: number;
  limit: number;
  fault?: boolean;
}

const DEFAULT_METRICS: Record<string, GaMetricType> = {
  activeUsers: 'TYPE_INTEGER',
  sessions: 'TYPE_INTEGER',
  screenPageViews: 'TYPE_INTEGER',
  engagementRate: 'TYPE_FLOAT',
  averageSessionDuration: 'TYPE_SECONDS',
  totalRevenue: 'TYPE_CURRENCY',
};

type Value = { value?: string };
interface RunReportRequest {
  property?: string;
  dimensions?: { name?: string }[];
  metrics?: { name?: string }[];
  dateRanges?: { startDate?: string; endDate?: string }[];
  offset?: string | number;
  limit?: string | number;
}

/** The .proto root of @google-analytics/data and of google-gax (google/api, google/longrunning, …). */
function protoRoots(): { file: string; includeDirs: string[] } {
  // Both packages keep their protos in build/protos, beside build/src where their entry points are.
  const data = createRequire(import.meta.url).resolve('@google-analytics/data');
  const gax = createRequire(data).resolve('google-gax');
  return {
    file: 'google/analytics/data/v1beta/analytics_data_api.proto',
    includeDirs: [join(dirname(data), '../protos'), join(dirname(gax), '../protos')],
  };
}

const isoToday = (): string => new Date().toISOString().slice(0, 10);
const shiftDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Resolves the Data API's relative dates (`today`, `yesterday`, `NdaysAgo`) to YYYY-MM-DD. */
function resolveDate(value: string): string {
  if (value === 'today') return isoToday();
  if (value === 'yesterday') return shiftDays(isoToday(), -1);
  const ago = /^(\d+)daysAgo$/.exec(value);
  return ago ? shiftDays(isoToday(), -Number(ago[1])) : value;
}

/** The running stand-in: the endpoint to point the client at, the facts it aggregates, its call log and faults. */
export class GoogleAnalyticsStandIn {
  readonly propertyId: string;
  readonly metricTypes: Record<string, GaMetricType>;
  readonly dimensions: readonly string[];
  /** The data, one entry per day and dimension combination; tests add to it between runs (late data). */
  readonly facts: GaFact[] = [];
  readonly calls: GaCall[] = [];
  private readonly faults: (GaFault & { left: number })[] = [];

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    options: GoogleAnalyticsStandInOptions,
  ) {
    this.propertyId = options.propertyId ?? '123456789';
    this.metricTypes = options.metricTypes ?? DEFAULT_METRICS;
    this.dimensions = options.dimensions ?? ['country', 'deviceCategory', 'sessionSource', 'pagePath'];
  }

  /** Starts the gRPC server on 127.0.0.1 (a random port). */
  static async start(options: GoogleAnalyticsStandInOptions = {}): Promise<GoogleAnalyticsStandIn> {
    const { file, includeDirs } = protoRoots();
    const definition = protoLoader.loadSync(file, {
      includeDirs,
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: { analytics: { data: { v1beta: { BetaAnalyticsData: { service: grpc.ServiceDefinition } } } } };
    };
    const service = loaded.google.analytics.data.v1beta.BetaAnalyticsData.service;
    const server = new grpc.Server();
    let self: GoogleAnalyticsStandIn | undefined;
    const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by the stand-in' });
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const name of Object.keys(service)) handlers[name] = unimplemented;
    handlers['RunReport'] = (call: grpc.ServerUnaryCall<RunReportRequest, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      (self as GoogleAnalyticsStandIn).runReport(call.request, callback);
    server.addService(service, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    self = new GoogleAnalyticsStandIn(server, port, options);
    return self;
  }

  /** Where the client connects: `apiEndpoint` and `port`. */
  get endpoint(): { apiEndpoint: string; port: number } {
    return { apiEndpoint: '127.0.0.1', port: this.port };
  }

  /** Adds a day's numbers for a dimension combination (several calls for the same combination add up). */
  add(date: string, dimensions: Record<string, string>, metrics: Record<string, number>): void {
    this.facts.push({ date, dimensions, metrics });
  }

  /** Plans a gRPC failure for the next RunReport call(s). */
  fail(fault: GaFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private runReport(request: RunReportRequest, callback: grpc.sendUnaryData<unknown>): void {
    const dimensions = (request.dimensions ?? []).map((d) => d.name ?? '');
    const metrics = (request.metrics ?? []).map((m) => m.name ?? '');
    const dateRanges = (request.dateRanges ?? []).map((r) => ({
      startDate: resolveDate(r.startDate ?? ''),
      endDate: resolveDate(r.endDate ?? ''),
    }));
    const offset = Number(request.offset ?? 0);
    const limit = Number(request.limit ?? 0) || 10_000;
    const call: GaCall = { property: request.property ?? '', dimensions, metrics, dateRanges, offset, limit };
    this.calls.push(call);
    const fault = this.faults[0];
    if (fault) {
      if (--fault.left <= 0) this.faults.shift();
      call.fault = true;
      return callback({ code: fault.code, details: fault.details });
    }
    if (call.property !== `properties/${this.propertyId}`)
      return callback({ code: grpc.status.NOT_FOUND, details: `Property ${call.property} not found or the caller has no access` });
    const unknown = [
      ...dimensions.filter((d) => d !== 'date' && !this.dimensions.includes(d)),
      ...metrics.filter((m) => !(m in this.metricTypes)),
    ];
    if (unknown.length > 0)
      return callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: `Field ${unknown[0]} is not a valid dimension or metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema`,
      });
    if (limit > 250_000) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'limit must not exceed 250000' });
    if (dateRanges.length === 0) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'dateRanges is required' });
    // Aggregates the facts in the date ranges by the requested dimensions, sorted by them (stable paging).
    const groups = new Map<string, { values: string[]; sums: number[] }>();
    for (const fact of this.facts) {
      if (!dateRanges.some((r) => fact.date >= r.startDate && fact.date <= r.endDate)) continue;
      const values = dimensions.map((d) => (d === 'date' ? fact.date.replaceAll('-', '') : (fact.dimensions[d] ?? '(not set)')));
      const key = JSON.stringify(values);
      const group = groups.get(key) ?? { values, sums: metrics.map(() => 0) };
      metrics.forEach((m, i) => (group.sums[i] = (group.sums[i] ?? 0) + (fact.metrics[m] ?? 0)));
      groups.set(key, group);
    }
    const all = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
    const page = all.slice(offset, offset + limit);
    const format = (value: number, type: GaMetricType | undefined): string =>
      type === 'TYPE_INTEGER' ? String(Math.round(value)) : String(value);
    callback(null, {
      dimensionHeaders: dimensions.map((name) => ({ name })),
      metricHeaders: metrics.map((name) => ({ name, type: this.metricTypes[name] })),
      rows: page.map((g) => ({
        dimensionValues: g.values.map((value): Value => ({ value })),
        metricValues: g.sums.map((sum, i): Value => ({ value: format(sum, this.metricTypes[metrics[i] ?? '']) })),
      })),
      rowCount: all.length,
      metadata: { currencyCode: 'USD', timeZone: 'UTC' },
      kind: 'analyticsData#runReport',
    });
  }
}

/** Starts a Google Analytics Data API stand-in on 127.0.0.1 (a random port). */
export function startGoogleAnalyticsStandIn(options: GoogleAnalyticsStandInOptions = {}): Promise<GoogleAnalyticsStandIn> {
  return GoogleAnalyticsStandIn.start(options);
}
