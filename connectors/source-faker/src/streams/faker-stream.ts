import type { JsonSchema, RecordData } from '@mage-int/core';
import type { StreamName } from '../settings.js';

/** One synthetic stream: records by id (1-based), each a pure function of the settings and its id. */
export interface FakerStream {
  readonly name: StreamName;
  readonly schema: JsonSchema;
  /** When record 1 is created; record n is created in [firstMs + (n-1)·interval, firstMs + n·interval). */
  readonly firstMs: number;
  /** Simulated time between consecutive ids (see INTERVAL_MS). */
  readonly intervalMs: number;
  /** Upper bound of `updated_at - created_at`; Infinity when a record keeps changing for ever. */
  readonly maxUpdateLagMs: number;
  /** The record with this id. */
  record(id: number): RecordData;
  /** `created_at` of the record last returned by `record`, in epoch milliseconds. */
  readonly lastCreatedMs: number;
  /** `updated_at` of the record last returned by `record`, in epoch milliseconds. */
  readonly lastUpdatedMs: number;
}

/** The simulated creation time of record `id`: inside its interval slot, the first record exactly at `firstMs`. */
export function createdAtMs(firstMs: number, intervalMs: number, id: number, draw: number): number {
  return firstMs + (id - 1) * intervalMs + (id === 1 ? 0 : Math.floor(draw * intervalMs));
}

/**
 * How many records of a stream certainly exist at `atMs` (at least 1): record n is created before
 * first + n·interval, so every n ≤ floor((at - first) / interval) does. Lets an order reference only
 * customers and products created before it.
 */
export function existingBy(count: number, firstMs: number, intervalMs: number, atMs: number): number {
  return Math.max(1, Math.min(count, Math.floor((atMs - firstMs) / intervalMs)));
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** Direct-mapped cache of "YYYY-MM-DDT" by day number: consecutive records fall on a handful of days. */
const DAY_SLOTS = 64;
const cachedDays = new Float64Array(DAY_SLOTS).fill(Number.NaN);
const cachedPrefixes: string[] = new Array<string>(DAY_SLOTS).fill('');

/**
 * ISO-8601 UTC with milliseconds (`2024-01-02T03:04:05.678Z`), the form every timestamp field and bookmark
 * takes. Same output as Date#toISOString for years 0000–9999, several times faster, which matters at 1M rows/s.
 */
export function isoTimestamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const slot = day & (DAY_SLOTS - 1);
  let prefix = cachedPrefixes[slot] as string;
  if (cachedDays[slot] !== day) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    cachedDays[slot] = day;
    cachedPrefixes[slot] = prefix;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${prefix}${PAD2[hours] as string}:${PAD2[minutes] as string}:${PAD2[seconds] as string}.${PAD3[millis] as string}Z`;
}

/** The JSON Schema of a timestamp field. */
export const TIMESTAMP: JsonSchema = { type: 'string', format: 'date-time' };
