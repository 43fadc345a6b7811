import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTap, startStripeStandIn, type StripeStandIn } from '@mage-int/testkit';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let stripe: StripeStandIn;
const tap = (config: Record<string, unknown>) => runTap(packageDir, config);

describe('source-stripe as a Singer tap', () => {
  beforeAll(async () => {
    stripe = await startStripeStandIn({ apiKey: 'sk_test_bin0secret0value0xyz' });
  }, 120_000);
  afterAll(() => stripe.close());

  it('writes Singer messages, logs the retry wait, and never prints the key, even at debug level', async () => {
    stripe.rateLimitNext('/v1/coupons', 1);
    const result = await tap({ api_key: stripe.apiKey, base_url: stripe.url });
    expect(result.code, result.stderr).toBe(0);
    const records = result.stdout.split('\n').filter((line) => line.includes('"type":"RECORD"'));
    expect(records.length).toBeGreaterThan(30);
    expect(result.stderr).toMatch(/GET \/v1\/coupons: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
    expect(result.stdout + result.stderr).not.toContain('bin0secret0value');
  });

  it("exits non-zero on a rejected key, naming api_key and Stripe's request id, without printing the key", async () => {
    const result = await tap({ api_key: 'sk_test_rejected0secret0abcd', base_url: stripe.url });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/api_key/);
    expect(result.stderr).toMatch(/HTTP 401: Invalid API Key provided: sk_test_\*+abcd/);
    expect(result.stderr).toMatch(/request id req_standin\d+/);
    expect(result.stdout + result.stderr).not.toContain('rejected0secret');
  });
});
