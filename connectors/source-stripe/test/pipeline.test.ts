import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import duckdb from '@mage-int/destination-duckdb';
import { duckdbScratch, repeatableRun, startStripeStandIn, type StripeStandIn } from '@mage-int/testkit';
import stripeSource from '../src/index.js';

let stripe: StripeStandIn;
const duck = duckdbScratch('source-stripe');
beforeAll(async () => {
  stripe = await startStripeStandIn({ counts: { customers: 12, charges: 5 } });
});
afterAll(async () => {
  await stripe.close();
  duck.remove();
});

describe('Stripe into DuckDB', () => {
  it('loads customers and charges, then a second run applies only the changes (an update and a hard delete)', async () => {
    const run = repeatableRun({
      id: 'stripe-duckdb',
      source: { connector: stripeSource, config: { api_key: stripe.apiKey, base_url: stripe.url, page_size: 5 } },
      destination: { connector: duckdb, config: { path: duck.path, hard_delete: true } },
      select: ['customers', 'charges'],
    });

    const first = await run();
    expect(first.streams['customers']?.records).toBe(12);
    expect(first.streams['charges']?.records).toBe(5);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM customers')).toEqual([{ n: 12 }]);
    const [charge] = await duck.rows('SELECT amount, typeof(amount) AS t FROM charges LIMIT 1');
    expect(charge?.['t']).toBe('BIGINT');

    const [a, b] = stripe.objects.get('customers') ?? [];
    stripe.update('customers', String(a?.['id']), { email: 'moved@example.com' });
    stripe.remove('customers', String(b?.['id']));
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));

    const second = await run();
    expect(second.streams['customers']?.records).toBe(2);
    expect(second.streams['charges']?.records ?? 0).toBe(0);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM customers')).toEqual([{ n: 11 }]);
    expect(await duck.rows(`SELECT email FROM customers WHERE id = '${String(a?.['id'])}'`)).toEqual([{ email: 'moved@example.com' }]);
  }, 60_000);
});
