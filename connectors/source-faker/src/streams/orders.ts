import type { JsonSchema, RecordData } from '@mage-int/core';
import { cumulativeWeights, RecordRandom, streamKey } from '../prng.js';
import { DAY, HOUR, INTERVAL_MS, MINUTE, type FakerSettings } from '../settings.js';
import { centsToDecimal, type ProductsStream } from './products.js';
import { createdAtMs, existingBy, isoTimestamp, TIMESTAMP, type FakerStream } from './faker-stream.js';

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'returned', 'cancelled'] as const;
type OrderStatus = (typeof ORDER_STATUSES)[number];

const PAYMENT_METHODS = ['card', 'paypal', 'bank_transfer', 'gift_card', 'apple_pay'] as const;
const PAYMENT_WEIGHTS = cumulativeWeights([60, 18, 8, 4, 10]);
const QUANTITY_WEIGHTS = cumulativeWeights([55, 25, 10, 6, 4]);

/** Lifecycle delays, each drawn uniformly in [min, max]. */
const PAY_DELAY = [1 * MINUTE, 2 * HOUR] as const;
const SHIP_DELAY = [6 * HOUR, 3 * DAY] as const;
const DELIVERY_DELAY = [1 * DAY, 7 * DAY] as const;
const RETURN_DELAY = [2 * DAY, 20 * DAY] as const;
const CANCEL_DELAY = [5 * MINUTE, 2 * DAY] as const;
/** The latest an order can change: paid, shipped, delivered, then returned, each as late as possible. */
const MAX_LAG_MS = PAY_DELAY[1] + SHIP_DELAY[1] + DELIVERY_DELAY[1] + RETURN_DELAY[1];

const CANCEL_SHARE = 0.05;
const RETURN_SHARE = 0.03;

const schema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1 },
    customer_id: { type: 'integer', minimum: 1 },
    product_id: { type: 'integer', minimum: 1 },
    quantity: { type: 'integer', minimum: 1 },
    unit_price: { type: 'number', multipleOf: 0.01, 'x-precision': 12, description: "The product's price when the order was placed" },
    amount: { type: 'number', multipleOf: 0.01, 'x-precision': 14, description: 'unit_price × quantity, an exact decimal' },
    status: { type: 'string', enum: [...ORDER_STATUSES] },
    payment_method: { type: 'string', enum: [...PAYMENT_METHODS] },
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  },
};

/**
 * One order every ~1 simulated minute, by a customer and for a product that already exist, at the product's
 * price of that moment. Orders move pending → paid → shipped → delivered (some returned, some cancelled) over
 * up to ~30 days; `status` and `updated_at` show the last step reached by the data set's "now".
 */
export class OrdersStream implements FakerStream {
  readonly name = 'orders' as const;
  readonly schema = schema;
  readonly intervalMs = INTERVAL_MS.orders;
  readonly firstMs: number;
  readonly maxUpdateLagMs = MAX_LAG_MS;
  lastCreatedMs = 0;
  lastUpdatedMs = 0;
  private readonly key: number;
  private readonly random = new RecordRandom();

  constructor(
    private readonly settings: FakerSettings,
    private readonly products: ProductsStream,
  ) {
    this.key = streamKey(settings.seed, this.name);
    this.firstMs = settings.firstMs.orders;
  }

  record(id: number): RecordData {
    const { firstMs, counts } = this.settings;
    const nowMs = this.settings.nowMs.orders;
    const r = this.random.seed(this.key, id);
    const created = createdAtMs(this.firstMs, this.intervalMs, id, r.float());
    const customerId = 1 + r.int(existingBy(counts.customers, firstMs.customers, INTERVAL_MS.customers, created));
    const productId = 1 + r.int(existingBy(counts.products, firstMs.products, INTERVAL_MS.products, created));
    const quantity = 1 + r.weighted(QUANTITY_WEIGHTS);
    const paymentMethod = PAYMENT_METHODS[r.weighted(PAYMENT_WEIGHTS)];
    const fate = r.float();
    const paidAt = created + r.between(PAY_DELAY[0], PAY_DELAY[1]);
    const shippedAt = paidAt + r.between(SHIP_DELAY[0], SHIP_DELAY[1]);
    const deliveredAt = shippedAt + r.between(DELIVERY_DELAY[0], DELIVERY_DELAY[1]);
    const returnedAt = deliveredAt + r.between(RETURN_DELAY[0], RETURN_DELAY[1]);
    const cancelledAt = created + r.between(CANCEL_DELAY[0], CANCEL_DELAY[1]);

    // The last lifecycle step that happened by "now".
    let status: OrderStatus = 'pending';
    let updated = created;
    if (paidAt <= nowMs && (fate >= CANCEL_SHARE || paidAt < cancelledAt)) {
      status = 'paid';
      updated = paidAt;
    }
    if (fate < CANCEL_SHARE) {
      if (cancelledAt <= nowMs) {
        status = 'cancelled';
        updated = Math.max(cancelledAt, updated);
      }
    } else if (shippedAt <= nowMs) {
      status = 'shipped';
      updated = shippedAt;
      if (deliveredAt <= nowMs) {
        status = 'delivered';
        updated = deliveredAt;
        if (fate < CANCEL_SHARE + RETURN_SHARE && returnedAt <= nowMs) {
          status = 'returned';
          updated = returnedAt;
        }
      }
    }

    const unitCents = this.products.priceCentsAt(productId, created);
    this.lastCreatedMs = created;
    this.lastUpdatedMs = updated;
    return {
      id,
      customer_id: customerId,
      product_id: productId,
      quantity,
      unit_price: centsToDecimal(unitCents),
      amount: centsToDecimal(unitCents * quantity),
      status,
      payment_method: paymentMethod,
      created_at: isoTimestamp(created),
      updated_at: isoTimestamp(updated),
    };
  }
}
