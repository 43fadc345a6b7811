import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeStandIn, type StripeStandIn } from '@mage-int/testkit';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'source-stripe-bin-'));
let stripe: StripeStandIn;

/** Runs the tap (asynchronously: the stand-in answers from this process). */
function tap(config: Record<string, unknown>): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '--config', path], { env: { ...process.env, MAGE_INT_LOG_LEVEL: 'debug' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('source-stripe as a Singer tap', () => {
  beforeAll(async () => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    stripe = await startStripeStandIn({ apiKey: 'sk_test_bin0secret0value0xyz' });
  }, 120_000);
  afterAll(async () => {
    await stripe.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes Singer messages, logs the retry wait, and never prints the key, even at debug level', async () => {
    stripe.rateLimitNext('/v1/coupons', 1);
    const result = await tap({ api_key: stripe.apiKey, base_url: stripe.url });
    expect(result.code, result.stderr).toBe(0);
    const records = result.stdout.split('\n').filter((line) => line.includes('"type":"RECORD"'));
    expect(records.length).toBeGreaterThan(30);
    expect(result.stderr).toMatch(/GET \/v1\/coupons: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
    expect(result.stdout + result.stderr).not.toContain('bin0secret0value');
  });

  it('exits non-zero on a rejected key, naming api_key and Stripe\'s request id, without printing the key', async () => {
    const result = await tap({ api_key: 'sk_test_rejected0secret0abcd', base_url: stripe.url });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/api_key/);
    expect(result.stderr).toMatch(/HTTP 401: Invalid API Key provided: sk_test_\*+abcd/);
    expect(result.stderr).toMatch(/request id req_standin\d+/);
    expect(result.stdout + result.stderr).not.toContain('rejected0secret');
  });
});
