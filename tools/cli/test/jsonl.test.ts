import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';

describe('mage-int run: faker → jsonl', () => {
  const work = workDir('jsonl');
  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it('writes one file per stream, resolved from the pipeline file, with the counts the summary reports', async () => {
    const pipelines = join(work.dir, 'pipelines');
    mkdirSync(pipelines);
    const pipeline = join(pipelines, 'export.yaml');
    writeFileSync(
      pipeline,
      'source:\n  name: faker\n  config: { customers: 50, products: 5, orders: 120, batch_size: 25 }\nstreams:\n  customers:\n    fields: [id, email]\ndestination:\n  name: jsonl\n  config: { destination_path: ../exports, batch_size_rows: 30 }\n',
    );
    // Run from another directory: the output lands next to the pipeline file, not in the working directory.
    const result = await runCli(['run', pipeline, '--json'], { cwd: work.dir });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { streams: { stream: string; rows: number }[]; committedStates: number };
    const exports = join(work.dir, 'exports');
    expect(readdirSync(exports).sort()).toEqual(['customers.jsonl', 'orders.jsonl', 'products.jsonl']);
    for (const { stream, rows } of summary.streams) {
      const lines = readFileSync(join(exports, `${stream}.jsonl`), 'utf8')
        .trim()
        .split('\n');
      expect(lines.length, stream).toBe(rows);
    }
    expect(summary.streams.map((s) => s.rows)).toEqual([50, 5, 120]);
    expect(summary.committedStates).toBeGreaterThan(3);
    // `fields:` keeps the listed fields and the key.
    const customer = JSON.parse(readFileSync(join(exports, 'customers.jsonl'), 'utf8').split('\n')[0] ?? '{}') as Record<string, unknown>;
    expect(Object.keys(customer).sort()).toEqual(['email', 'id']);
  });

  it('names the missing required setting of the destination (exit 2)', async () => {
    const pipeline = join(work.dir, 'missing.yaml');
    writeFileSync(pipeline, 'source: {name: faker}\ndestination: {name: jsonl}\n');
    const result = await runCli(['run', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid config for destination jsonl: "destination_path" is required');
  });
});
