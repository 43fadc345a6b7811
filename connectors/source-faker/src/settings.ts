import { ConfigError, validateConfig, type JsonSchema } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type StreamName = 'customers' | 'products' | 'orders';
export const STREAM_NAMES: readonly StreamName[] = ['customers', 'products', 'orders'];

/**
 * Simulated time between two consecutive ids of a stream. Record n of a stream is created during
 * [start + (n-1)·interval, start + n·interval), so `created_at` grows with the id and a record's
 * timestamps never depend on how many records are generated after it.
 */
export const INTERVAL_MS: Record<StreamName, number> = {
  customers: 5 * MINUTE,
  products: 50 * MINUTE,
  orders: MINUTE,
};

/** When each stream's first record appears after start_date: the shop opens, and takes its first order a day later. */
export const OFFSET_MS: Record<StreamName, number> = {
  customers: 0,
  products: 0,
  orders: DAY,
};

/** The config with defaults applied and checked, in the units the generators use. */
export interface FakerSettings {
  seed: number;
  counts: Record<StreamName, number>;
  startMs: number;
  /** When the first record of each stream is created (start_date + OFFSET_MS). */
  firstMs: Record<StreamName, number>;
  /**
   * The simulated "now" of each stream: when its last record is created. Updates scheduled after it have
   * not happened yet, so growing a stream's count moves its time forward: new records appear after the
   * old ones and older records pick up their later updates, as a live system's rows would.
   */
  nowMs: Record<StreamName, number>;
  batchSize: number;
}

const EARLIEST_MS = Date.parse('0001-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Applies the spec's defaults (validateConfig) and checks what the JSON Schema cannot express. Throws ConfigError. */
export function settingsFrom(input: Config): FakerSettings {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source faker');
  const counts: Record<StreamName, number> = { customers: config.customers, products: config.products, orders: config.orders };
  const startText = config.start_date;
  const startMs = Date.parse(startText);
  if (!Number.isFinite(startMs)) {
    throw new ConfigError('START_DATE_INVALID', `start_date "${startText}" is not an ISO-8601 date-time`, {
      field: 'start_date',
      hint: 'write it like 2024-01-01T00:00:00Z',
    });
  }
  if (counts.orders > 0 && (counts.customers === 0 || counts.products === 0)) {
    throw new ConfigError(
      'ORDERS_NEED_CUSTOMERS_AND_PRODUCTS',
      'orders reference customers and products, but one of them has a count of 0',
      {
        field: counts.customers === 0 ? 'customers' : 'products',
        hint: 'set customers and products to at least 1, or orders to 0',
      },
    );
  }
  const firstMs = Object.fromEntries(STREAM_NAMES.map((name) => [name, startMs + OFFSET_MS[name]])) as Record<StreamName, number>;
  const nowMs = Object.fromEntries(STREAM_NAMES.map((name) => [name, firstMs[name] + counts[name] * INTERVAL_MS[name]])) as Record<
    StreamName,
    number
  >;
  if (startMs < EARLIEST_MS || Math.max(...Object.values(nowMs)) > LATEST_MS - 40 * DAY) {
    throw new ConfigError('DATE_RANGE_INVALID', 'the simulated period must lie between the years 0001 and 9999', {
      field: 'start_date',
      hint: 'use a later start_date or smaller counts (orders advance time by 1 minute each, customers by 5, products by 50)',
    });
  }
  return { seed: config.seed, counts, startMs, firstMs, nowMs, batchSize: config.batch_size };
}
