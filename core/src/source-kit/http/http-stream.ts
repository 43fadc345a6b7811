import { ConnectorError } from '../../errors.js';
import { compareBookmarkValues } from '../compare-values.js';
import { isAfterKeyset } from '../keyset.js';
import type { RecordData } from '../../protocol/messages.js';
import type { SourceStream, StreamBatch, StreamPartition, StreamSync } from '../source-stream.js';
import type { HttpClient, HttpResponse, QueryValue, ResponseRule } from './http-client.js';
import { singlePage, type PageRequest, type Paginator } from './paginators.js';
import { valueAt, type ValuePath } from './value-at.js';

export interface HttpStreamOptions {
  /** The stream's name (its tap_stream_id). */
  name: string;
  /** The endpoint, relative to the base URL; `{field}` placeholders are filled from the partition (`issues/{issue}/comments`). */
  path: string;
  method?: 'GET' | 'POST';
  keyProperties?: readonly string[];
  /** The replication key when the catalog names none. */
  replicationKey?: string;
  validReplicationKeys?: readonly string[];
  methods?: readonly ('FULL_TABLE' | 'INCREMENTAL')[];
  /** Where a page's records are: a body path (`data`, `results`); default the body when it is an array, else its `data`, `results`, `records` or `items`. */
  records?: ValuePath;
  /** How pages follow each other; default a single page. */
  paginator?: Paginator;
  /** Query parameters of every request, fixed or from the sync (the partition, the start value). */
  params?: Record<string, QueryValue> | ((sync: StreamSync) => Record<string, QueryValue>);
  /** A JSON body (for POST searches), from the sync. */
  body?: (sync: StreamSync) => Record<string, unknown>;
  /**
   * INCREMENTAL: the request parameter that asks for records at or after `sync.start` (`updated_since`,
   * `created[gte]`), with `format` turning the value into what the API takes (an ISO timestamp into epoch seconds).
   */
  incremental?: { param: string; in?: 'query' | 'body'; format?: (value: unknown) => QueryValue };
  /** The API returns records in (replication key, key) order: the bookmark moves with every page. */
  orderedByReplicationKey?: boolean;
  /** Re-read this far behind the bookmark (seconds for timestamps). */
  lookback?: number;
  /** Where a first incremental sync starts (start_date). */
  startValue?: unknown;
  /** Drop records older than `sync.start` here, for APIs that cannot filter by it. */
  filterByStart?: boolean;
  /** Partitions (child requests) read at once; default 1. */
  concurrency?: number;
  /**
   * Pages of one read requested at once, when the paginator can list them all after the first answer
   * (`remaining`: an offset or page number with a total); default 1. Pages are still yielded in order.
   */
  pageConcurrency?: number;
  /**
   * A child stream: read once per record of `stream`, with the partition `partition` makes of it (undefined
   * skips the record; `sync` is the child's, with its saved bookmarks).
   */
  parent?: { stream: SourceStream; partition: (record: RecordData, sync: StreamSync) => StreamPartition | undefined };
  /** Response rules of this stream's requests (retry, ignore, fail by status or body), before the client's own. */
  rules?: readonly ResponseRule[];
  /** Changes or drops (undefined) a record before it is emitted. */
  transform?: (record: RecordData, sync: StreamSync) => RecordData | undefined;
}

const RECORD_FIELDS = ['data', 'results', 'records', 'items'];

/**
 * A stream read from an HTTP API: builds each page's request (path, parameters, the incremental start, the
 * partition), sends it through an `HttpClient` (auth, retries, request budget), picks the records out of the
 * answer and follows the paginator. It yields one batch per page, so memory holds one page at a time; the
 * framework (`readStreams`) keeps the bookmarks, per partition for a child stream. Subclass it and override
 * `request` or `parseRecords` for what the options cannot say.
 */
export class HttpStream implements SourceStream {
  readonly name: string;
  readonly keyProperties?: readonly string[];
  readonly replicationKey?: string;
  readonly validReplicationKeys?: readonly string[];
  readonly methods?: readonly ('FULL_TABLE' | 'INCREMENTAL')[];
  readonly orderedByReplicationKey?: boolean;
  readonly lookback?: number;
  readonly startValue?: unknown;
  readonly partitions?: (sync: StreamSync) => AsyncIterable<StreamPartition>;
  readonly concurrency?: number;

  constructor(
    protected readonly client: HttpClient,
    protected readonly options: HttpStreamOptions,
  ) {
    this.name = options.name;
    this.keyProperties = options.keyProperties;
    this.replicationKey = options.replicationKey;
    this.validReplicationKeys = options.validReplicationKeys;
    this.methods = options.methods;
    this.orderedByReplicationKey = options.orderedByReplicationKey;
    this.lookback = options.lookback;
    this.startValue = options.startValue;
    this.concurrency = options.concurrency;
    const parent = options.parent;
    if (parent) this.partitions = (sync) => parentPartitions(parent.stream, parent.partition, sync);
  }

  /** The first page's request. */
  protected request(sync: StreamSync): PageRequest {
    const { options } = this;
    const params = typeof options.params === 'function' ? options.params(sync) : { ...options.params };
    const body = options.body?.(sync);
    const request: PageRequest = { path: fillPath(options.path, sync), query: params, ...(body ? { body } : {}) };
    const incremental = options.incremental;
    if (sync.method === 'INCREMENTAL' && incremental && sync.start !== undefined) {
      const value = incremental.format ? incremental.format(sync.start) : (sync.start as QueryValue);
      if (incremental.in === 'body') request.body = { ...request.body, [incremental.param]: value };
      else request.query = { ...request.query, [incremental.param]: value };
    }
    return request;
  }

  /** The records of one page. */
  protected parseRecords(response: HttpResponse, sync: StreamSync): RecordData[] {
    const body = response.body;
    const found =
      this.options.records !== undefined
        ? valueAt(body, this.options.records)
        : Array.isArray(body)
          ? body
          : RECORD_FIELDS.map((f) => valueAt(body, f)).find(Array.isArray);
    if (found === undefined || found === null) return [];
    if (!Array.isArray(found)) {
      throw new ConnectorError(
        'HTTP_RESPONSE_UNEXPECTED',
        `${response.url.pathname} answered without a list of records${this.options.records ? ` at "${String(this.options.records)}"` : ''}`,
        {
          stream: sync.tapStreamId,
          hint: "check base_url, and the stream's `records` path against the API's response",
        },
      );
    }
    return found as RecordData[];
  }

  /** Sends one page's request. */
  private fetchPage(request: PageRequest, sync: StreamSync): Promise<HttpResponse> {
    return this.client.request({
      method: this.options.method ?? 'GET',
      ...(request.url ? { url: request.url } : { path: request.path ?? '' }),
      query: request.query,
      ...(request.body ? { body: request.body } : {}),
      ...(request.headers ? { headers: request.headers } : {}),
      ...(this.options.rules ? { rules: this.options.rules } : {}),
      stream: sync.tapStreamId,
    });
  }

  /** One page's records as parsed (`raw`, what paginators count) and as emitted (transformed, filtered). */
  private pageRecords(response: HttpResponse, sync: StreamSync): { raw: RecordData[]; records: RecordData[] } {
    const raw = this.parseRecords(response, sync);
    const records: RecordData[] = [];
    for (const record of raw) {
      const out = this.options.transform ? this.options.transform(record, sync) : record;
      if (out === undefined) continue;
      if (
        this.options.filterByStart &&
        sync.start !== undefined &&
        sync.replicationKey &&
        !isAtOrAfter(out[sync.replicationKey], sync.start)
      )
        continue;
      // Resumed inside a run of equal values: the API answers from the value on; rows up to the last committed one go.
      if (sync.position?.afterKeys && !isAfterKeyset(out, sync.position, sync.keyProperties)) continue;
      records.push(out);
    }
    return { raw, records };
  }

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const paginator = this.options.paginator ?? singlePage();
    const first = this.request(sync);
    let request: PageRequest | undefined = paginator.first ? paginator.first(first) : first;
    while (request) {
      sync.signal.throwIfAborted();
      const response = await this.fetchPage(request, sync);
      const { raw, records } = this.pageRecords(response, sync);
      const pageConcurrency = this.options.pageConcurrency ?? 1;
      const rest: readonly PageRequest[] | undefined =
        response.ignored || pageConcurrency <= 1 ? undefined : paginator.remaining?.(response, raw, request);
      const next: PageRequest | undefined = response.ignored || rest ? undefined : paginator.next(response, raw, request);
      if (next && JSON.stringify(next) === JSON.stringify(request)) {
        throw new ConnectorError('HTTP_PAGINATION_LOOP', `${response.url.pathname}: the paginator asked for the same page twice`, {
          stream: sync.tapStreamId,
          hint: 'the API returned the same cursor or next link again; check the paginator settings',
        });
      }
      // The last answer is in: the framework may start the next partition while this page's records are passed on.
      if (!next && !rest) sync.requestsDone?.();
      yield { records, time_extracted: new Date().toISOString() };
      if (rest) {
        yield* this.readPagesAtOnce(rest, pageConcurrency, sync);
        return;
      }
      request = next;
    }
  }

  /**
   * Pages whose requests are all known after the first answer (an offset or page count with a total), `limit` in
   * flight at once and yielded in page order, so at most `limit` pages are held. An ignored answer ends the stream.
   */
  private async *readPagesAtOnce(requests: readonly PageRequest[], limit: number, sync: StreamSync): AsyncGenerator<StreamBatch> {
    const inFlight: Promise<HttpResponse>[] = [];
    let started = 0;
    const start = () => {
      const pending = this.fetchPage(requests[started++] as PageRequest, sync);
      pending.catch(() => {}); // observed in order below, or abandoned when an earlier page failed
      inFlight.push(pending);
    };
    while (inFlight.length < limit && started < requests.length) start();
    while (inFlight.length > 0) {
      sync.signal.throwIfAborted();
      const response = await (inFlight.shift() as Promise<HttpResponse>);
      if (started < requests.length) start();
      else if (inFlight.length === 0 || response.ignored) sync.requestsDone?.();
      yield { records: this.pageRecords(response, sync).records, time_extracted: new Date().toISOString() };
      if (response.ignored) return;
    }
  }
}

function isAtOrAfter(value: unknown, start: unknown): boolean {
  return value !== undefined && value !== null && compareBookmarkValues(value, start) >= 0;
}

/** The path with `{field}` placeholders filled from the partition. */
function fillPath(path: string, sync: StreamSync): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = sync.partition?.[name];
    if (value === undefined || value === null) {
      throw new ConnectorError('HTTP_PATH_PARAMETER_MISSING', `the path ${path} needs "${name}", which the partition does not give`, {
        stream: sync.tapStreamId,
        hint: "the parent stream's partition function must return every {placeholder} of the child's path",
      });
    }
    return encodeURIComponent(String(value));
  });
}

/** Every record of `parent` (all its partitions, for a grandchild), turned into the child's partitions. */
async function* parentPartitions(
  parent: SourceStream,
  toPartition: (record: RecordData, sync: StreamSync) => StreamPartition | undefined,
  sync: StreamSync,
): AsyncGenerator<StreamPartition> {
  const parentSync: StreamSync = {
    entry: sync.entry,
    tapStreamId: parent.name,
    method: 'FULL_TABLE',
    keyProperties: parent.keyProperties ?? [],
    fields: [],
    bookmark: {},
    signal: sync.signal,
    logger: sync.logger,
  };
  const partitions = parent.partitions ? parent.partitions(parentSync) : oneUndefined();
  for await (const partition of partitions) {
    for await (const output of parent.read(partition ? { ...parentSync, partition } : parentSync)) {
      for (const record of Array.isArray(output) ? output : output.records) {
        const child = toPartition(record, sync);
        if (child) yield child;
      }
    }
  }
}

async function* oneUndefined(): AsyncGenerator<undefined> {
  yield undefined;
}
