import type { JsonSchema } from '@mage-int/core';
import type Stripe from 'stripe';
import { STREAM_SCHEMAS } from './stream-schemas.js';

/** One page of a Stripe list endpoint. */
export interface StripePage {
  data: Record<string, unknown>[];
  has_more: boolean;
}

/** The parameters every list call takes: `limit`, `starting_after`, the `created` range, and per stream extras. */
export type ListParams = Record<string, unknown>;

/** One Stripe resource read as one stream. */
export interface StripeStreamDefinition {
  name: string;
  /** The SDK's list call for this resource (GET /v1/<resource>). */
  list: (stripe: Stripe, params: ListParams) => Promise<StripePage>;
  /** The resource's `object` value, which picks its events out of the events API (`data.object.object`). */
  object: string;
  /**
   * Event type patterns that carry this object when it changes (`customer.*`); none for immutable objects
   * (balance transactions, events), which are read by `created` alone.
   */
  events: readonly string[];
  /** Its `*.deleted` events mean the object is gone (emitted with `_sdc_deleted_at`). */
  deletes: boolean;
  /** The restricted-key permission the stream needs, named in 403 errors and the README. */
  permission: string;
  /** The creation time field the list's `created` filter works on; `date` for invoice items. Default `created`. */
  replicationKey?: string;
  /** Fixed list parameters (subscriptions: `status=all`, else canceled ones are left out). */
  params?: ListParams;
}

type Lister = (stripe: Stripe, params: ListParams) => Promise<StripePage>;

// The SDK's list signatures differ per resource only in their parameter types; the params built here follow
// Stripe's shared list contract (limit, starting_after, created range), so one cast serves them all.
const list =
  (call: (stripe: Stripe) => { list(params: never): PromiseLike<unknown> }): Lister =>
  async (stripe, params) =>
    (await call(stripe).list(params as never)) as StripePage;

/** GET /v1/events: the events stream, and the events pass of every other stream. */
export const listEvents = list((s) => s.events);

/** The streams (discovery lists them by name). */
export const STREAMS: readonly StripeStreamDefinition[] = [
  { name: 'customers', list: list((s) => s.customers), object: 'customer', events: ['customer.*'], deletes: true, permission: 'Customers' },
  { name: 'charges', list: list((s) => s.charges), object: 'charge', events: ['charge.*'], deletes: false, permission: 'Charges' },
  { name: 'invoices', list: list((s) => s.invoices), object: 'invoice', events: ['invoice.*'], deletes: true, permission: 'Invoices' },
  {
    name: 'invoice_items',
    list: list((s) => s.invoiceItems),
    object: 'invoiceitem',
    events: ['invoiceitem.*'],
    deletes: true,
    permission: 'Invoices',
    replicationKey: 'date',
  },
  {
    name: 'subscriptions',
    list: list((s) => s.subscriptions),
    object: 'subscription',
    events: ['customer.subscription.*'],
    deletes: false,
    permission: 'Subscriptions',
    params: { status: 'all' },
  },
  { name: 'plans', list: list((s) => s.plans), object: 'plan', events: ['plan.*'], deletes: true, permission: 'Plans' },
  { name: 'prices', list: list((s) => s.prices), object: 'price', events: ['price.*'], deletes: true, permission: 'Prices' },
  { name: 'products', list: list((s) => s.products), object: 'product', events: ['product.*'], deletes: true, permission: 'Products' },
  {
    name: 'payment_intents',
    list: list((s) => s.paymentIntents),
    object: 'payment_intent',
    events: ['payment_intent.*'],
    deletes: false,
    permission: 'PaymentIntents',
  },
  {
    name: 'refunds',
    list: list((s) => s.refunds),
    object: 'refund',
    events: ['refund.*', 'charge.refund.*'],
    deletes: false,
    permission: 'Refunds',
  },
  {
    name: 'balance_transactions',
    list: list((s) => s.balanceTransactions),
    object: 'balance_transaction',
    events: [],
    deletes: false,
    permission: 'Balance',
  },
  { name: 'payouts', list: list((s) => s.payouts), object: 'payout', events: ['payout.*'], deletes: false, permission: 'Payouts' },
  {
    name: 'disputes',
    list: list((s) => s.disputes),
    object: 'dispute',
    events: ['charge.dispute.*'],
    deletes: false,
    permission: 'Disputes',
  },
  { name: 'coupons', list: list((s) => s.coupons), object: 'coupon', events: ['coupon.*'], deletes: true, permission: 'Coupons' },
  { name: 'events', list: listEvents, object: 'event', events: [], deletes: false, permission: 'Events' },
];

/**
 * subscription_items: the items of every subscription (read through the subscriptions list, whose objects
 * carry their items, and `GET /v1/subscription_items?subscription=…` for more than a page of them).
 */
export const SUBSCRIPTION_ITEMS = {
  name: 'subscription_items',
  parent: 'subscriptions',
  list: list((s) => s.subscriptionItems),
  permission: 'Subscriptions',
} as const;

const DELETED_AT: JsonSchema = { type: ['null', 'string'], format: 'date-time' };

/** The record schema of a stream: the object's fields as Stripe's API reference gives them. */
export function streamSchema(name: string, deletes: boolean): JsonSchema {
  const properties = STREAM_SCHEMAS[name];
  if (!properties) throw new Error(`no schema for stream ${name}`);
  return { type: 'object', properties: deletes ? { ...properties, _sdc_deleted_at: DELETED_AT } : properties };
}
