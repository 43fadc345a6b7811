import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';

const work = workDir('discover-select');
beforeAll(() => assertBuilt());
afterAll(() => work.remove());

describe('mage-int discover with select:', () => {
  it('shows which streams and how many fields the patterns select', async () => {
    const pipeline = join(work.dir, 'select.yaml');
    writeFileSync(pipeline, "source: {name: faker}\nselect: [orders, 'customers.email', '!orders.status']\ndestination: {name: duckdb}\n");
    const result = await runCli(['discover', pipeline]);
    expect(result.code, result.stderr).toBe(0);
    const line = (stream: string) => result.stdout.split('\n').find((l) => l.startsWith(stream));
    expect(line('customers')).toMatch(/^customers\s+yes\s+id\s+.*\s2\/10$/);
    expect(line('products')).toMatch(/^products\s+no\s+.*-\/9$/);
    expect(line('orders')).toMatch(/^orders\s+yes\s+.*\s9\/10$/);
    expect(result.stdout).toContain('3 streams, 2 selected; choose with `select:` or `streams:`');
  });

  it('names a pattern that matches no stream', async () => {
    const pipeline = join(work.dir, 'typo.yaml');
    writeFileSync(pipeline, 'source: {name: faker}\nselect: [order]\ndestination: {name: duckdb}\n');
    const result = await runCli(['discover', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: stream "order": select pattern "order" names no stream of the source\'s catalog');
    expect(result.stderr).toContain('hint: known streams: customers, products, orders');
  });
});
