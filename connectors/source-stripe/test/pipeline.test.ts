import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, pipeline, silentLogger } from '@mage-int/core';
import duckdb, { DuckDB } from '@mage-int/destination-duckdb';
import { startStripeStandIn, type StripeStandIn } from '@mage-int/testkit';
import stripeSource from '../src/index.js';

let stripe: StripeStandIn;
const dir = mkdtempSync(join(tmpdir(), 'source-stripe-'));
beforeAll(async () => {
  stripe = await startStripeStandIn({ counts: { customers: 12, charges: 5 } });
});
afterAll(async () => {
  await stripe.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = new DuckDB({ config: { path } });
  try {
    return await db.query(sql);
  } finally {
    await db.close();
  }
}

describe('Stripe into DuckDB', () => {
  it('loads customers and charges, then a second run applies only the changes (an update and a hard delete)', async () => {
    const path = join(dir, 'stripe.duckdb');
    const stateStore = new MemoryStateStore();
    const run = () =>
      pipeline({
        id: 'stripe-duckdb',
        source: { connector: stripeSource, config: { api_key: stripe.apiKey, base_url: stripe.url, page_size: 5 } },
        destination: { connector: duckdb, config: { path, hard_delete: true } },
        select: ['customers', 'charges'],
        stateStore,
      }).run({ logger: silentLogger });

    const first = await run();
    expect(first.streams['customers']?.records).toBe(12);
    expect(first.streams['charges']?.records).toBe(5);
    expect(await rows(path, 'SELECT count(*)::INTEGER AS n FROM customers')).toEqual([{ n: 12 }]);
    const [charge] = await rows(path, 'SELECT amount, typeof(amount) AS t FROM charges LIMIT 1');
    expect(charge?.['t']).toBe('BIGINT');

    const [a, b] = stripe.objects.get('customers') ?? [];
    stripe.update('customers', String(a?.['id']), { email: 'moved@example.com' });
    stripe.remove('customers', String(b?.['id']));
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));

    const second = await run();
    expect(second.streams['customers']?.records).toBe(2);
    expect(second.streams['charges']?.records ?? 0).toBe(0);
    expect(await rows(path, 'SELECT count(*)::INTEGER AS n FROM customers')).toEqual([{ n: 11 }]);
    expect(await rows(path, `SELECT email FROM customers WHERE id = '${String(a?.['id'])}'`)).toEqual([{ email: 'moved@example.com' }]);
  }, 60_000);
});
