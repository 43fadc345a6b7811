import { Decimal, type JsonSchema, type RecordData } from '@mage-int/core';
import { hash2, RecordRandom, streamKey } from '../prng.js';
import { DAY, INTERVAL_MS, type FakerSettings } from '../settings.js';
import { CATEGORIES, PRODUCT_ADJECTIVES, PRODUCT_COLORS, type Category } from '../words.js';
import { createdAtMs, isoTimestamp, TIMESTAMP, type FakerStream } from './faker-stream.js';

/** Shelf-price endings, .99 the most common. */
const CENT_ENDINGS = [99, 99, 99, 99, 49, 95, 0, 50];
const LOG_MIN_PRICE = CATEGORIES.map((c) => Math.log(c.minPrice));
const LOG_PRICE_RANGE = CATEGORIES.map((c) => Math.log(c.maxPrice) - Math.log(c.minPrice));
const MIN_REPRICE_MS = 1 * DAY;
const MAX_REPRICE_MS = 30 * DAY;

const schema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1 },
    sku: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string', enum: CATEGORIES.map((c) => c.name) },
    price: { type: 'number', multipleOf: 0.01, 'x-precision': 12, description: 'Current unit price, an exact decimal' },
    stock: { type: 'integer', minimum: 0 },
    active: { type: 'boolean' },
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  },
};

/** Recently made decimals by cents (Decimal is immutable, so records may share one). */
const DECIMAL_SLOTS = 4096;
const decimalCache: (Decimal | undefined)[] = new Array<Decimal | undefined>(DECIMAL_SLOTS);
const decimalCents = new Float64Array(DECIMAL_SLOTS).fill(-1);

/** An exact decimal from a whole, non-negative number of cents. */
export function centsToDecimal(cents: number): Decimal {
  const slot = cents & (DECIMAL_SLOTS - 1);
  const cached = decimalCache[slot];
  if (cached !== undefined && decimalCents[slot] === cents) return cached;
  const whole = Math.floor(cents / 100);
  const rest = cents - whole * 100;
  const decimal = new Decimal(`${whole}.${rest < 10 ? '0' : ''}${rest}`);
  decimalCache[slot] = decimal;
  decimalCents[slot] = cents;
  return decimal;
}

/** What an order needs to know about a product, drawn first so it is cheap to recompute. */
interface ProductCore {
  createdMs: number;
  category: Category;
  baseCents: number;
  repriceEveryMs: number;
}

function emptyCore(): ProductCore {
  return { createdMs: 0, category: CATEGORIES[0] as Category, baseCents: 0, repriceEveryMs: 0 };
}

/**
 * A catalogue that grows by one product every ~50 simulated minutes. Each product is repriced on its own
 * schedule (every 1–30 days, for ever), so `updated_at` keeps moving as simulated time goes on.
 */
export class ProductsStream implements FakerStream {
  readonly name = 'products' as const;
  readonly schema = schema;
  readonly intervalMs = INTERVAL_MS.products;
  readonly firstMs: number;
  readonly maxUpdateLagMs = Number.POSITIVE_INFINITY;
  lastCreatedMs = 0;
  lastUpdatedMs = 0;
  private readonly key: number;
  private readonly priceKey: number;
  private readonly random = new RecordRandom();
  /** A second generator, so looking up a price never disturbs a record being generated. */
  private readonly lookupRandom = new RecordRandom();
  private readonly recordCore = emptyCore();
  private readonly lookupCore = emptyCore();

  constructor(private readonly settings: FakerSettings) {
    this.key = streamKey(settings.seed, this.name);
    this.firstMs = settings.firstMs.products;
    this.priceKey = streamKey(settings.seed, 'products.price');
  }

  private drawCore(r: RecordRandom, id: number, core: ProductCore): ProductCore {
    core.createdMs = createdAtMs(this.firstMs, this.intervalMs, id, r.float());
    const category = r.int(CATEGORIES.length);
    core.category = CATEGORIES[category] as Category;
    // Log-uniform: as many products at 5–10 as at 50–100.
    const whole = Math.floor(Math.exp((LOG_MIN_PRICE[category] as number) + r.float() * (LOG_PRICE_RANGE[category] as number)));
    core.baseCents = whole * 100 + r.pick(CENT_ENDINGS);
    core.repriceEveryMs = r.between(MIN_REPRICE_MS, MAX_REPRICE_MS);
    return core;
  }

  /** Price after the k-th repricing: the base price moved by -20%…+25%, in whole cents. */
  private priceCents(id: number, core: ProductCore, k: number): number {
    if (k <= 0) return core.baseCents;
    const percent = 80 + (hash2(hash2(this.priceKey, id), k) % 46);
    return Math.max(99, Math.round((core.baseCents * percent) / 100));
  }

  private repricings(core: ProductCore, atMs: number): number {
    return atMs <= core.createdMs ? 0 : Math.floor((atMs - core.createdMs) / core.repriceEveryMs);
  }

  /**
   * The unit price, in cents, of product `id` at simulated time `atMs` (what an order placed then paid):
   * always a price the products stream shows or showed, so never one from after the stream's "now".
   */
  priceCentsAt(id: number, atMs: number): number {
    const core = this.drawCore(this.lookupRandom.seed(this.key, id), id, this.lookupCore);
    return this.priceCents(id, core, this.repricings(core, Math.min(atMs, this.settings.nowMs.products)));
  }

  record(id: number): RecordData {
    const r = this.random.seed(this.key, id);
    const core = this.drawCore(r, id, this.recordCore);
    const adjective = r.pick(PRODUCT_ADJECTIVES);
    const color = r.pick(PRODUCT_COLORS);
    const noun = r.pick(core.category.nouns);
    const initialStock = r.int(500);
    const active = r.float() < 0.92;

    const k = this.repricings(core, this.settings.nowMs.products);
    const updated = core.createdMs + k * core.repriceEveryMs;
    const stock = k === 0 ? initialStock : hash2(hash2(this.priceKey ^ 0x5bd1e995, id), k) % 500;

    this.lastCreatedMs = core.createdMs;
    this.lastUpdatedMs = updated;
    return {
      id,
      sku: `${core.category.code}-${String(id).padStart(6, '0')}`,
      name: `${adjective} ${color} ${noun}`,
      category: core.category.name,
      price: centsToDecimal(this.priceCents(id, core, k)),
      stock,
      active,
      created_at: isoTimestamp(core.createdMs),
      updated_at: isoTimestamp(updated),
    };
  }
}
