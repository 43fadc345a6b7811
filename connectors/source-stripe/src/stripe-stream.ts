import type { RecordData, SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import { call, type StripeConnection } from './stripe-client.js';
import { listEvents, type ListParams, type StripePage, type StripeStreamDefinition } from './streams.js';

/** Stripe keeps events for 30 days; a bookmark older than this (with a margin for the run itself) cannot be caught up. */
export const EVENTS_WINDOW_SECONDS = 30 * 24 * 60 * 60;
const EVENTS_MARGIN_SECONDS = 60 * 60;

/** Settings every Stripe stream shares. */
export interface StripeStreamSettings {
  pageSize: number;
  /** start_date in epoch seconds. */
  startValue?: number;
  /** lookback_window_days in seconds. */
  lookback: number;
  /** The clock, in epoch seconds (tests move it). */
  now?: () => number;
}

/** The bookmark field holding where the next run reads events from (epoch seconds). */
export const EVENTS_BOOKMARK = 'events_created';

/** Where one sync of a stream reads from. */
export interface ReadPlan {
  /** The `created` lower bound of the list pass, if any. */
  created?: { gte: number } | { gt: number };
  /** Events from this instant on (epoch seconds), or none. */
  eventsFrom?: number;
  /** When this run started: the next run's events bookmark. */
  startedAt: number;
}

/**
 * How a sync reads, the way Singer's tap-stripe does: a first sync (and FULL_TABLE) lists every object created
 * since start_date; an incremental sync lists the objects created since the bookmark and then reads the events
 * API from the events bookmark for changes to older objects (`*.updated`) and deletions (`*.deleted`). Stripe
 * keeps events for 30 days: an events bookmark older than that falls back to a full re-sync of the stream.
 */
export function planRead(sync: StreamSync, hasEvents: boolean, settings: StripeStreamSettings): ReadPlan {
  const startedAt = (settings.now ?? (() => Math.floor(Date.now() / 1000)))();
  const fromStart: ReadPlan = { startedAt, ...(settings.startValue === undefined ? {} : { created: { gte: settings.startValue } }) };
  if (sync.method === 'FULL_TABLE') return fromStart;
  const start = typeof sync.start === 'number' ? sync.start : undefined;
  const saved = sync.bookmark.replication_key_value;
  if (!hasEvents || saved === undefined || saved === null) return start === undefined ? fromStart : { startedAt, created: { gte: start } };
  // A state without an events position (written by hand, or by another tap) reads changes from the bookmark's own time.
  const recorded = sync.bookmark[EVENTS_BOOKMARK];
  const events = typeof recorded === 'number' ? recorded : Number(saved);
  if (!Number.isFinite(events) || events < startedAt - EVENTS_WINDOW_SECONDS + EVENTS_MARGIN_SECONDS) {
    const when = `its events position (${Number.isFinite(events) ? new Date(events * 1000).toISOString() : String(saved)}) is older than Stripe's 30-day events window`;
    sync.logger.warn(
      `${sync.tapStreamId}: ${when}, so changes since then cannot be read from the events API; re-syncing the whole stream`,
      { stream: sync.tapStreamId },
    );
    return fromStart;
  }
  const eventsFrom = Math.max(0, events - settings.lookback);
  // The events API also carries `*.created`, so objects created in the bookmark's own second are not lost with `gt`.
  const created = settings.lookback > 0 && start !== undefined ? { gte: start } : { gt: Number(saved) };
  return { startedAt, created, eventsFrom };
}

/** Pages of a Stripe list endpoint, newest first, to the end (`has_more`), by `starting_after`. */
export async function* listPages(
  connection: StripeConnection,
  definition: Pick<StripeStreamDefinition, 'list' | 'permission'> & { name: string; path: string },
  params: ListParams,
  pageSize: number,
  signal: AbortSignal,
): AsyncGenerator<Record<string, unknown>[]> {
  let startingAfter: string | undefined;
  for (;;) {
    signal.throwIfAborted();
    const request = { ...params, limit: pageSize, ...(startingAfter ? { starting_after: startingAfter } : {}) };
    const page: StripePage = await call(
      connection,
      { stream: definition.name, request: `GET ${definition.path}`, permission: definition.permission },
      () => definition.list(connection.stripe, request),
    );
    yield page.data.map((record) => plain(record) as Record<string, unknown>);
    const last = page.data.at(-1)?.['id'];
    if (!page.has_more || typeof last !== 'string') return;
    startingAfter = last;
  }
}

/**
 * The SDK turns decimal strings (`quantity_decimal`, `unit_amount_decimal`) into Decimal objects; records keep
 * Stripe's wire form, the string, so they match their schema and lose no digits.
 */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return (value as { toJSON(): unknown }).toJSON();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = plain(item);
  return out;
}

/** The records the events pass yields: each changed object once, in its latest state, deletions marked. */
export interface ChangedObject {
  record: RecordData;
  /** When the change happened (the event's `created`). */
  at: number;
}

/**
 * The objects the events of `types` changed since `from`, newest change first and each object once (its
 * newest event wins: the API lists events newest first). Objects of another type riding the same events
 * (`charge.dispute.*` under `charge.*`) are left out.
 */
export async function* changedObjects(
  connection: StripeConnection,
  stream: string,
  definition: Pick<StripeStreamDefinition, 'object' | 'events' | 'deletes' | 'permission'>,
  from: number,
  pageSize: number,
  signal: AbortSignal,
): AsyncGenerator<ChangedObject[]> {
  const seen = new Set<string>();
  const events = { name: stream, path: '/v1/events', permission: 'Events', list: listEvents };
  for (const type of definition.events) {
    for await (const page of listPages(connection, events, { type, created: { gte: from } }, pageSize, signal)) {
      const out: ChangedObject[] = [];
      for (const event of page) {
        const data = event['data'] as { object?: Record<string, unknown> } | undefined;
        const object = data?.object;
        const id = object?.['id'];
        if (!object || object['object'] !== definition.object || typeof id !== 'string' || seen.has(id)) continue;
        seen.add(id);
        const at = Number(event['created']);
        const deleted = definition.deletes && String(event['type']).endsWith('.deleted');
        out.push({ record: deleted ? { ...object, _sdc_deleted_at: new Date(at * 1000).toISOString() } : object, at });
      }
      yield out;
    }
  }
}

/** One Stripe resource as a stream of the source kit: the list pass, then the events pass (see planRead). */
export class StripeStream implements SourceStream {
  readonly name: string;
  readonly keyProperties = ['id'] as const;
  readonly replicationKey: string;
  readonly validReplicationKeys: readonly string[];
  /** The kit moves `sync.start` this far behind the bookmark (the bookmark itself never moves back). */
  readonly lookback: number;

  constructor(
    private readonly connection: StripeConnection,
    private readonly definition: StripeStreamDefinition,
    private readonly settings: StripeStreamSettings,
  ) {
    this.name = definition.name;
    this.replicationKey = definition.replicationKey ?? 'created';
    this.validReplicationKeys = [this.replicationKey];
    this.lookback = settings.lookback;
  }

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const { definition, settings, connection } = this;
    const plan = planRead(sync, definition.events.length > 0, settings);
    const listed = new Set<string>();
    const path = `/v1/${definition.name === 'invoice_items' ? 'invoiceitems' : definition.name}`;
    const params = { ...definition.params, ...(plan.created ? { created: plan.created } : {}) };
    for await (const page of listPages(connection, { ...definition, path }, params, settings.pageSize, sync.signal)) {
      for (const record of page) listed.add(String(record['id']));
      yield { records: page, time_extracted: new Date().toISOString() };
    }
    if (plan.eventsFrom !== undefined) {
      for await (const changes of changedObjects(
        connection,
        definition.name,
        definition,
        plan.eventsFrom,
        settings.pageSize,
        sync.signal,
      )) {
        // An object the list pass just read is already in its current state, unless it changed after the run began.
        const records = changes.filter((c) => !listed.has(String(c.record['id'])) || c.at >= plan.startedAt).map((c) => c.record);
        if (records.length > 0) yield { records, time_extracted: new Date().toISOString() };
      }
    }
    // Saved once every record above is committed: the next run reads events from here.
    if (definition.events.length > 0 && sync.method === 'INCREMENTAL')
      yield { records: [], bookmark: { [EVENTS_BOOKMARK]: plan.startedAt } };
  }
}
