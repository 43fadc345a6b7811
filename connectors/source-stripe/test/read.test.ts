import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeStandIn, type StripeStandIn } from '@mage-int/testkit';
import { EVENTS_BOOKMARK } from '../src/index.js';
import { capturingLogger, configFor, ids, readStreams } from './helpers.js';

let stripe: StripeStandIn;

/** A port nothing listens on (taken and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
beforeAll(async () => {
  stripe = await startStripeStandIn({ counts: { customers: 25, subscriptions: 4 } });
});
afterAll(() => stripe.close());

describe('reading Stripe through the official SDK', () => {
  it('follows starting_after pages to the end (has_more) and reads each object once', async () => {
    const before = stripe.requestsTo('/v1/customers').length;
    const { records } = await readStreams(configFor(stripe), ['customers']);
    const expected = ids(stripe.objects.get('customers'));
    expect(ids(records['customers'])).toEqual(expected);
    expect(new Set(expected).size).toBe(25);
    const pages = stripe.requestsTo('/v1/customers').slice(before);
    expect(pages.map((r) => r.query.get('starting_after'))).toEqual([null, expected[9], expected[19]]);
    expect(pages.every((r) => r.query.get('limit') === '10')).toBe(true);
  });

  it('sends Stripe-Account for a Connect account_id', async () => {
    const before = stripe.requests.length;
    await readStreams(configFor(stripe, { account_id: 'acct_standin123' }), ['coupons']);
    expect(stripe.requests.slice(before).map((r) => r.headers['stripe-account'])).toEqual(['acct_standin123']);
  });

  it('waits out a 429 for its Retry-After, logging the wait, and goes on', async () => {
    stripe.rateLimitNext('/v1/products', 1);
    const { logger, lines } = capturingLogger();
    const started = Date.now();
    const { records } = await readStreams(configFor(stripe), ['products'], undefined, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(ids(records['products'])).toEqual(ids(stripe.objects.get('products')));
    expect(lines.join('\n')).toMatch(/GET \/v1\/products: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
  });

  it('retries a 500 and a reset connection with backoff, then succeeds', async () => {
    stripe.serverErrorNext('/v1/payouts');
    stripe.fail({ path: '/v1/payouts', reset: true });
    const { logger, lines } = capturingLogger();
    const { records } = await readStreams(configFor(stripe), ['payouts'], undefined, logger);
    expect(ids(records['payouts'])).toEqual(ids(stripe.objects.get('payouts')));
    const log = lines.join('\n');
    expect(log).toMatch(/GET \/v1\/payouts: HTTP 500; retry 1\/5 in [\d.]+ s \(backoff\)/);
    expect(log).toMatch(/GET \/v1\/payouts: .*retry 2\/5 in [\d.]+ s \(backoff\)/);
  });

  it("gives up after max_retries with Stripe's message and request id", async () => {
    stripe.serverErrorNext('/v1/refunds', 3);
    const failure = readStreams(configFor(stripe, { max_retries: 2 }), ['refunds']);
    await expect(failure).rejects.toThrow(
      /stream "refunds": GET \/v1\/refunds answered HTTP 500: Sorry, something went wrong.*\(request id req_standin\d+\)/,
    );
  });

  it('names base_url when the API cannot be reached after the retries', async () => {
    const closed = await freePort();
    const error = await readStreams({ api_key: stripe.apiKey, base_url: `http://127.0.0.1:${closed}`, max_retries: 1 }, ['customers']).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; hint?: string },
    );
    expect(error?.code).toBe('HTTP_UNREACHABLE');
    expect(error?.message).toMatch(/^stream "customers": GET \/v1\/customers failed after 2 attempts: .*ECONNREFUSED/);
    expect(error?.hint).toMatch(/base_url/);
  });

  it('fails at once on a wrong key (401), naming api_key, with the request id, never printing the key', async () => {
    const badKey = 'sk_test_wrongkey0000secret9999';
    const { logger, lines } = capturingLogger();
    const before = stripe.requests.length;
    const error = await readStreams(configFor(stripe, { api_key: badKey }), ['customers'], undefined, logger).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; field?: string; hint?: string },
    );
    expect(error?.code).toBe('HTTP_401');
    expect(error?.field).toBe('api_key');
    expect(error?.message).toMatch(/Invalid API Key provided: sk_test_\*+9999 \(api_key_invalid\) \(request id req_standin\d+\)/);
    expect(error?.hint).toMatch(/api_key/);
    expect(stripe.requests.length - before).toBe(1); // not retried
    const everything = [error?.message, error?.hint, ...lines].join('\n');
    expect(everything).not.toContain(badKey);
    expect(everything).not.toContain('wrongkey0000secret');
  });

  it('names the permission a restricted key lacks (403)', async () => {
    const restricted = await startStripeStandIn({ restrictedKeys: { rk_test_readcustomers: ['customers', 'events'] } });
    try {
      await expect(readStreams(configFor(restricted, { api_key: 'rk_test_readcustomers' }), ['customers'])).resolves.toBeDefined();
      const error = await readStreams(configFor(restricted, { api_key: 'rk_test_readcustomers' }), ['charges']).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string; hint?: string },
      );
      expect(error?.code).toBe('HTTP_403');
      expect(error?.message).toMatch(
        /stream "charges", field "api_key": GET \/v1\/charges answered HTTP 403: .*'rak_charge_read' permission/,
      );
      expect(error?.hint).toMatch(/"Charges: Read"/);
    } finally {
      await restricted.close();
    }
  });

  it('reads subscription_items from their subscriptions, canceled ones included', async () => {
    const subscriptions = stripe.objects.get('subscriptions') ?? [];
    stripe.update('subscriptions', String(subscriptions[0]?.['id']), { status: 'canceled' });
    const { records } = await readStreams(configFor(stripe), ['subscription_items']);
    const items = records['subscription_items'] ?? [];
    expect(items).toHaveLength(4);
    expect(items.map((i) => i['subscription'])).toEqual(subscriptions.map((s) => s['id']));
  });

  it('keeps money in integer minor units and nested objects as JSON', async () => {
    const { records, messages } = await readStreams(configFor(stripe), ['charges']);
    const charge = records['charges']?.[0] ?? {};
    expect(Number.isInteger(charge['amount'])).toBe(true);
    expect(typeof charge['billing_details']).toBe('object');
    const schema = messages.find((m) => m.type === 'SCHEMA');
    expect(schema?.type === 'SCHEMA' && schema.schema.properties?.['amount']).toEqual({ type: 'integer' });
  });
});

function untilNextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

describe('incremental sync', () => {
  it('a second run reads only what changed: a new object, an updated one, and a deleted one as a delete', async () => {
    const config = configFor(stripe, { page_size: 5 });
    const first = await readStreams(config, ['customers']);
    expect(first.records['customers']).toHaveLength(stripe.objects.get('customers')?.length ?? 0);
    const bookmark = first.state?.bookmarks['customers'];
    expect(bookmark?.replication_key).toBe('created');
    expect(typeof bookmark?.[EVENTS_BOOKMARK]).toBe('number');

    const [a, b] = (stripe.objects.get('customers') ?? []).slice(-2);
    stripe.update('customers', String(a?.['id']), { email: 'changed@example.com' });
    stripe.remove('customers', String(b?.['id']));
    const added = stripe.create('customers', { email: 'new@example.com' });
    // Events are re-read from the second a run started (inclusive): the next run starts a second after the changes.
    await untilNextSecond();

    const second = await readStreams(config, ['customers'], first.state);
    const records = second.records['customers'] ?? [];
    expect([...new Set(ids(records))].sort()).toEqual([String(a?.['id']), String(b?.['id']), String(added['id'])].sort());
    const byId = new Map(records.map((r) => [r['id'], r]));
    expect(byId.get(a?.['id'])?.['email']).toBe('changed@example.com');
    expect(byId.get(a?.['id'])?.['_sdc_deleted_at']).toBeUndefined();
    expect(byId.get(b?.['id'])?.['_sdc_deleted_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(byId.get(added['id'])?.['email']).toBe('new@example.com');

    // Nothing changed since: a third run reads nothing.
    const third = await readStreams(config, ['customers'], second.state);
    expect(third.records['customers'] ?? []).toEqual([]);
  });

  it('subscription_items: a second run emits the items of the subscriptions that changed', async () => {
    const config = configFor(stripe);
    const first = await readStreams(config, ['subscription_items']);
    expect(first.records['subscription_items']?.length).toBeGreaterThan(1);
    const subscription = (stripe.objects.get('subscriptions') ?? [])[1] ?? {};
    const items = subscription['items'] as { data: Record<string, unknown>[] };
    stripe.update('subscriptions', String(subscription['id']), {
      items: { ...items, data: items.data.map((item) => ({ ...item, quantity: 7 })) },
    });
    await untilNextSecond();
    const second = await readStreams(config, ['subscription_items'], first.state);
    expect(second.records['subscription_items']?.map((i) => [i['subscription'], i['quantity']])).toEqual([[subscription['id'], 7]]);
  });

  it('re-syncs the whole stream, with a warning, when its events bookmark is older than the 30-day events window', async () => {
    const config = configFor(stripe);
    const first = await readStreams(config, ['invoices']);
    const state = structuredClone(first.state);
    const bookmark = state?.bookmarks['invoices'];
    if (bookmark) bookmark[EVENTS_BOOKMARK] = Math.floor(Date.now() / 1000) - 31 * 86_400;
    const { logger, lines } = capturingLogger();
    const second = await readStreams(config, ['invoices'], state, logger);
    expect(ids(second.records['invoices'])).toEqual(ids(stripe.objects.get('invoices')));
    expect(lines.join('\n')).toMatch(
      /invoices: its events position \(.*\) is older than Stripe's 30-day events window.*re-syncing the whole stream/,
    );
    expect(Number(second.state?.bookmarks['invoices']?.[EVENTS_BOOKMARK])).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('re-reads lookback_window_days behind both bookmarks, without moving them back', async () => {
    const config = configFor(stripe, { lookback_window_days: 1 });
    const first = await readStreams(config, ['prices']);
    const bookmark = first.state?.bookmarks['prices'];
    const before = stripe.requests.length;
    const second = await readStreams(config, ['prices'], first.state);
    const asked = stripe.requests.slice(before);
    const list = asked.find((r) => r.path === '/v1/prices');
    const events = asked.find((r) => r.path === '/v1/events');
    expect(list?.query.get('created[gte]')).toBe(String(Number(bookmark?.replication_key_value) - 86_400));
    expect(events?.query.get('created[gte]')).toBe(String(Number(bookmark?.[EVENTS_BOOKMARK]) - 86_400));
    expect(events?.query.get('type')).toBe('price.*');
    // The window holds every price again (re-read, upserted by id); the bookmark stays where it was.
    expect(ids(second.records['prices']).sort()).toEqual(ids(stripe.objects.get('prices')).sort());
    expect(second.state?.bookmarks['prices']?.replication_key_value).toBe(bookmark?.replication_key_value);
  });

  it('starts at start_date on a first sync', async () => {
    const customers = stripe.objects.get('customers') ?? [];
    const cut = Number(customers[5]?.['created']);
    const { records } = await readStreams(configFor(stripe, { start_date: new Date(cut * 1000).toISOString() }), ['customers']);
    expect(records['customers']?.length).toBeGreaterThan(0);
    expect(records['customers']?.every((r) => Number(r['created']) >= cut)).toBe(true);
    expect(ids(records['customers'])).toEqual(ids(customers.filter((c) => Number(c['created']) >= cut)));
  });
});
