// Against the real Stripe API: runs only when STRIPE_API_KEY is set (use a test-mode key; the test only reads).
import { describe, expect, it } from 'vitest';
import source from '../src/index.js';
import { testContext } from '@mage-int/testkit';
import { readStreams } from './helpers.js';

const apiKey = process.env['STRIPE_API_KEY'];

describe.skipIf(!apiKey)('the real Stripe API (STRIPE_API_KEY)', () => {
  it('checks the key, then reads customers and events page by page', async () => {
    const ctx = testContext('source-stripe');
    try {
      expect(await source.check({ api_key: apiKey as string }, ctx)).toEqual({ ok: true });
    } finally {
      ctx.dispose();
    }
    const { records, state } = await readStreams({ api_key: apiKey as string, page_size: 50 }, ['customers', 'events']);
    for (const record of [...(records['customers'] ?? []), ...(records['events'] ?? [])]) {
      expect(typeof record['id']).toBe('string');
      expect(Number.isInteger(record['created'])).toBe(true);
    }
    expect(state?.bookmarks['customers']?.replication_key).toBe('created');
  }, 120_000);
});
