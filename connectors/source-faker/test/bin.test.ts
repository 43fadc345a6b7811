import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExactJson } from '@mage-int/core';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'source-faker-bin-'));

function tap(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  const lines = () =>
    result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => parseExactJson(line) as Record<string, unknown>);
  return { ...result, lines };
}

describe('source-faker as a Singer tap', () => {
  beforeAll(() => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ seed: 1, customers: 20, products: 5, orders: 50, batch_size: 16 }));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its catalog with --discover', () => {
    const result = tap('--config', join(dir, 'config.json'), '--discover');
    expect(result.status).toBe(0);
    const catalog = JSON.parse(result.stdout) as { streams: { tap_stream_id: string }[] };
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(['customers', 'products', 'orders']);
  });

  it('writes Singer messages on stdout: one RECORD line per record, exact decimals, state last', () => {
    const result = tap('--config', join(dir, 'config.json'));
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const records = result.lines().filter((m) => m['type'] === 'RECORD');
    expect(records).toHaveLength(75);
    // Every order amount keeps its two decimal places on the wire (11.00, not 11).
    const amounts = [...result.stdout.matchAll(/"amount":(\d[^,}]*)/g)].map((m) => m[1]);
    expect(amounts).toHaveLength(50);
    for (const amount of amounts) expect(amount).toMatch(/^\d+\.\d\d$/);
    expect(result.lines().at(-1)).toMatchObject({ type: 'STATE', value: { currently_syncing: null } });
  });

  it('fails with a clear message on a bad config', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ orders: -1 }));
    const result = tap('--config', join(dir, 'bad.json'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/"orders" must be >= 0/);
  });
});
