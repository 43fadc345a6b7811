import {
  compareBookmarkValues,
  ConfigError,
  HttpStream,
  partitionKey,
  valueAt,
  type HttpClient,
  type HttpResponse,
  type Logger,
  type PageRequest,
  type QueryValue,
  type RecordData,
  type ResponseRule,
  type StreamBatch,
  type StreamPartition,
  type StreamSync,
} from '@mage-int/core';
import { buildPaginator } from './build-paginator.js';
import { decodeRecords } from './decode.js';
import type { Paginator as PaginatorConfig, ResponseAction } from './generated/config.js';
import { checkedPath, filterPredicate } from './json-path.js';
import type { Resource } from './manifest.js';
import { fill, type PlaceholderValues } from './placeholders.js';
import { compileSteps } from './processing-steps.js';
import { formatValue, instantOf, sameKind, stepMs, windows, type ValueFormat } from './time-window.js';

/** A sync reading one date window of an incremental stream. */
type WindowSync = StreamSync & { window?: { start: unknown; end: unknown } };

/** What a child partition carries besides its key: the `include_from_parent` values and the parent's cursor. */
interface PartitionExtras {
  fields: Record<string, unknown>;
  parentCursor?: unknown;
}

/** Response rules of a manifest (`response_actions`) as the kit's. */
export function responseRules(actions: readonly ResponseAction[] | undefined, place: { resource?: string; field: string }): ResponseRule[] {
  return (actions ?? []).map((action, i) => ({
    ...(action.status_code !== undefined ? { status: [action.status_code].flat() } : {}),
    ...(action.content !== undefined ? { bodyContains: action.content } : {}),
    ...(action.body_filter !== undefined
      ? { match: filterPredicate(action.body_filter, { ...place, field: `${place.field}[${i}].body_filter` }) }
      : {}),
    action: action.action,
    ...(action.message !== undefined ? { message: action.message } : {}),
  }));
}

/**
 * One resource of the manifest as a source-kit HTTP stream: the request (placeholders from the parent partition
 * and the incremental range, start/end params, date windows), the records (format, data_selector, processing
 * steps, include_from_parent, client-side range filter) and, for a child, its partitions from the parent.
 */
export class RestStream extends HttpStream {
  private readonly extras = new Map<string, PartitionExtras>();
  private readonly selector: string | undefined;
  /** The parent's cursor field (incremental_dependency compares it with the one saved per partition). */
  private readonly parentCursorField: string | undefined;

  constructor(
    client: HttpClient,
    readonly resource: Resource,
    parent: RestStream | undefined,
    clientPaginator: PaginatorConfig | undefined,
    logger: Logger,
  ) {
    const endpoint = resource.endpoint;
    const incremental = endpoint.incremental;
    const steps = compileSteps(resource.processingSteps, resource.name);
    const include = resource.includeFromParent;
    const endFilter = incremental?.client_side_filter && incremental.end_value !== undefined ? incremental.end_value : undefined;
    // The options' functions need the instance, which exists only once super() returns.
    const self: { stream?: RestStream } = {};
    super(client, {
      name: resource.name,
      path: endpoint.path,
      method: endpoint.method ?? 'GET',
      keyProperties: resource.primaryKey,
      ...(incremental
        ? { replicationKey: incremental.cursor_path, validReplicationKeys: [incremental.cursor_path] }
        : { methods: ['FULL_TABLE'] }),
      paginator: buildPaginator(endpoint.paginator ?? clientPaginator, logger, resource.name),
      ...(incremental?.lookback_seconds ? { lookback: incremental.lookback_seconds } : {}),
      ...(incremental?.initial_value !== undefined ? { startValue: incremental.initial_value } : {}),
      filterByStart: incremental?.client_side_filter === true,
      concurrency: resource.concurrency,
      // A child's concurrency goes to its partitions; a top-level stream's to its pages, when their count is known.
      pageConcurrency: resource.parent ? 1 : resource.concurrency,
      rules: responseRules(endpoint.response_actions, { resource: resource.name, field: 'endpoint.response_actions' }),
      ...(parent
        ? {
            parent: {
              stream: parent,
              partition: (record: RecordData, sync: StreamSync) => (self.stream as RestStream).partitionOf(record, sync),
            },
          }
        : {}),
      transform: (record, sync) => {
        const values: PlaceholderValues = { ...(sync.partition ? { partition: sync.partition } : {}) };
        let out: RecordData | undefined = record;
        if (include.length > 0 && sync.partition) {
          const fields = (self.stream as RestStream).extras.get(partitionKey(sync.partition))?.fields ?? {};
          out = { ...out, ...fields };
        }
        for (const step of steps) {
          if (!out) return undefined;
          out = step(out, values);
        }
        if (out && incremental?.client_side_filter) {
          const end = (sync as WindowSync).window?.end ?? endFilter;
          const value = out[incremental.cursor_path];
          if (end !== undefined && value !== undefined && value !== null && compareBookmarkValues(value, end) >= 0) return undefined;
        }
        return out;
      },
    });
    self.stream = this;
    this.parentCursorField = parent?.resource.endpoint.incremental?.cursor_path;
    this.selector = endpoint.data_selector
      ? checkedPath(endpoint.data_selector, { resource: resource.name, field: 'endpoint.data_selector' })
      : undefined;
  }

  /** A parent record as this child's partition: the referenced fields; the skipped parents of incremental_dependency give none. */
  private partitionOf(record: RecordData, sync: StreamSync): StreamPartition | undefined {
    const { resource } = this;
    const parent = resource.parent as { name: string; fields: string[] };
    const partition: StreamPartition = {};
    for (const field of parent.fields) {
      const value = valueAt(record, field);
      if (value === undefined || value === null) {
        sync.logger.warn(`a ${parent.name} record has no "${field}"; its ${resource.name} are not read`, { stream: resource.name });
        return undefined;
      }
      partition[field] = value;
    }
    const key = partitionKey(partition);
    const fields = Object.fromEntries(
      resource.includeFromParent.map((field) => [`_${parent.name}_${field.replace(/\./g, '_')}`, valueAt(record, field)]),
    );
    const parentCursor = resource.incrementalDependency && this.parentCursorField ? record[this.parentCursorField] : undefined;
    if (sync.method === 'INCREMENTAL' && parentCursor !== undefined && parentCursor !== null) {
      const partitions = sync.bookmark['partitions'] as Record<string, Record<string, unknown>> | undefined;
      const seen = partitions?.[key]?.['parent_cursor'];
      // The parent has not changed since this partition was last read: nothing new below it.
      if (seen !== undefined && compareBookmarkValues(parentCursor, seen) <= 0) return undefined;
    }
    this.extras.set(key, { fields, ...(parentCursor !== undefined ? { parentCursor } : {}) });
    return partition;
  }

  protected override request(sync: StreamSync): PageRequest {
    const endpoint = this.resource.endpoint;
    const incremental = endpoint.incremental;
    const format = incremental?.value_format as ValueFormat | undefined;
    const window = (sync as WindowSync).window;
    const start = window ? window.start : sync.method === 'INCREMENTAL' ? sync.start : incremental?.initial_value;
    const end = window ? window.end : incremental?.end_value;
    const values: PlaceholderValues = {
      ...(sync.partition ? { partition: sync.partition } : {}),
      start: formatValue(start, format),
      end: formatValue(end, format),
    };
    const where = (field: string) => ({ stream: this.resource.name, field });
    const path = fill(endpoint.path, values, where('endpoint.path'), encodeURIComponent) as string;
    const query = dropUndefined(fill(endpoint.params ?? {}, values, where('endpoint.params')) as Record<string, QueryValue>);
    let body = endpoint.json ? (fill(endpoint.json, values, where('endpoint.json')) as Record<string, unknown>) : undefined;
    if (incremental) {
      const range: Record<string, unknown> = {};
      if (incremental.start_param && values.start !== undefined) range[incremental.start_param] = values.start;
      if (incremental.end_param && values.end !== undefined) range[incremental.end_param] = values.end;
      if (incremental.start_location === 'body') body = { ...body, ...range };
      else Object.assign(query, range);
    }
    return { path, query, ...(body ? { body } : {}), ...(endpoint.headers ? { headers: endpoint.headers as Record<string, string> } : {}) };
  }

  protected override parseRecords(response: HttpResponse, sync: StreamSync): RecordData[] {
    if (response.ignored) return [];
    const { endpoint } = this.resource;
    return decodeRecords(response, endpoint.response_format ?? 'auto', this.selector, sync.tapStreamId, endpoint.columns, {
      ...(endpoint.csv_separator !== undefined ? { separator: endpoint.csv_separator } : {}),
      ...(endpoint.csv_header !== undefined ? { header: endpoint.csv_header } : {}),
    });
  }

  override async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const incremental = this.resource.endpoint.incremental;
    if (!incremental?.step) yield* super.read(sync);
    else yield* this.readWindows(sync, incremental.step);
    // incremental_dependency: remember the parent's cursor this partition was read at.
    const parentCursor = sync.partition ? this.extras.get(partitionKey(sync.partition))?.parentCursor : undefined;
    if (sync.method === 'INCREMENTAL' && sync.partition && parentCursor !== undefined)
      yield { records: [], bookmark: { parent_cursor: parentCursor } };
    if (sync.partition) this.extras.delete(partitionKey(sync.partition));
  }

  /** Date-step windows from the start (bookmark − lookback, or initial_value) to end_value or now; the bookmark moves past each finished window. */
  private async *readWindows(sync: StreamSync, step: string | number): AsyncGenerator<StreamBatch> {
    const incremental = this.resource.endpoint.incremental as NonNullable<Resource['endpoint']['incremental']>;
    const format = incremental.value_format as ValueFormat | undefined;
    const from = sync.method === 'INCREMENTAL' ? sync.start : incremental.initial_value;
    const fromMs = instantOf(from, format);
    if (fromMs === undefined) {
      throw new ConfigError('INITIAL_VALUE_MISSING', 'date windows (step) need a start: an initial_value that is a date or epoch number', {
        stream: this.resource.name,
        field: 'endpoint.incremental.initial_value',
      });
    }
    const untilMs = incremental.end_value !== undefined ? (instantOf(incremental.end_value, format) ?? Date.now()) : Date.now();
    const like = incremental.initial_value ?? from;
    // The windows' requests are only done after the last window.
    const { requestsDone, ...each } = sync;
    for (const window of windows(fromMs, untilMs, stepMs(step, this.resource.name))) {
      const start = sameKind(window.start, like, format);
      const end = sameKind(window.end, like, format);
      yield* super.read({ ...each, start, window: { start, end } } as WindowSync);
      if (sync.method === 'INCREMENTAL') yield { records: [], bookmark: { replication_key_value: end } };
    }
    requestsDone?.();
  }
}

function dropUndefined(query: Record<string, QueryValue>): Record<string, QueryValue> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
}
