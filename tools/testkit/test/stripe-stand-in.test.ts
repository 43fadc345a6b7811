// The Stripe stand-in answers as Stripe's API reference documents, checked here with plain HTTP requests (the
// connector's tests use it through the SDK).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeStandIn, type StripeStandIn } from '../src/index.js';

let stripe: StripeStandIn;
beforeAll(async () => {
  stripe = await startStripeStandIn({ counts: { customers: 7 } });
});
afterAll(() => stripe.close());

async function get(path: string, key: string | null = stripe.apiKey) {
  const response = await fetch(`${stripe.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return {
    status: response.status,
    requestId: response.headers.get('request-id'),
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const idsOf = (body: Record<string, unknown>) => (body['data'] as { id: string }[]).map((o) => o.id);

describe('the Stripe stand-in', () => {
  it('lists newest first in pages: limit (default 10), has_more, starting_after and ending_before', async () => {
    const all = idsOf((await get('/v1/customers?limit=100')).body);
    expect(all).toHaveLength(7);
    const created = (stripe.objects.get('customers') ?? []).map((c) => Number(c['created']));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    const first = await get('/v1/customers?limit=3');
    expect(first.body).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(idsOf(first.body)).toEqual(all.slice(0, 3));
    const last = await get(`/v1/customers?limit=3&starting_after=${all[5]}`);
    expect(idsOf(last.body)).toEqual(all.slice(6));
    expect(last.body['has_more']).toBe(false);
    const before = await get(`/v1/customers?limit=2&ending_before=${all[4]}`);
    expect(idsOf(before.body)).toEqual(all.slice(2, 4));
    expect(before.body['has_more']).toBe(true);
  });

  it('filters by created (exact or a gt/gte/lt/lte range)', async () => {
    const customers = stripe.objects.get('customers') ?? [];
    const middle = Number(customers[3]?.['created']);
    const gte = idsOf((await get(`/v1/customers?limit=100&created[gte]=${middle}`)).body);
    expect(gte).toEqual(customers.filter((c) => Number(c['created']) >= middle).map((c) => c['id']));
    const exact = idsOf((await get(`/v1/customers?created=${middle}`)).body);
    expect(exact.length).toBeGreaterThan(0);
    expect(exact.length).toBeLessThan(gte.length);
  });

  it('lists events by type with wildcards, carrying the changed object', async () => {
    const customer = stripe.create('customers', { email: 'a@example.com' });
    stripe.update('customers', String(customer['id']), { email: 'b@example.com' });
    const events = (await get('/v1/events?type=customer.*&limit=2')).body['data'] as {
      type: string;
      data: { object: { id: string; email: string }; previous_attributes?: unknown };
    }[];
    expect(events.map((e) => e.type)).toEqual(['customer.updated', 'customer.created']);
    expect(events[0]?.data).toMatchObject({
      object: { id: customer['id'], email: 'b@example.com' },
      previous_attributes: { email: 'a@example.com' },
    });
  });

  it('answers errors as Stripe error objects with a Request-Id', async () => {
    const missing = await get('/v1/customers', null);
    expect(missing.status).toBe(401);
    expect(missing.requestId).toMatch(/^req_/);
    const wrong = await get('/v1/customers', 'sk_test_nottheone1234');
    expect(wrong.body).toEqual({
      error: { type: 'invalid_request_error', code: 'api_key_invalid', message: 'Invalid API Key provided: sk_test_*********1234' },
    });
    expect((await get('/v1/customers?limit=101')).body).toMatchObject({ error: { type: 'invalid_request_error', param: 'limit' } });
    expect((await get('/v1/customers?starting_after=cus_nope')).body).toMatchObject({ error: { code: 'resource_missing' } });
    stripe.rateLimitNext('/v1/charges', 2);
    const limited = await get('/v1/charges');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await get('/v1/charges')).status).toBe(200);
  });
});
