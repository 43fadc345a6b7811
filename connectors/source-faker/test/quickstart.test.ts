import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipelineFile, pipeline, silentLogger } from '@mage-int/core';
import duckdb from '@mage-int/destination-duckdb';
import faker from '../src/index.js';

const quickstart = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/quickstart', () => {
  it('loads the shop into DuckDB, and show.mjs prints each table with sample rows', async () => {
    const file = await loadPipelineFile(join(quickstart, 'pipeline.yaml'), {});
    expect(file).toMatchObject({
      id: 'quickstart',
      source: { name: 'faker' },
      destination: { name: 'duckdb', config: { path: 'quickstart.duckdb' } },
    });

    // The same pipeline, writing to a scratch database instead of the example's own file.
    const database = join(dir, 'quickstart.duckdb');
    const summary = await pipeline({
      id: file.id,
      source: { connector: faker, config: file.source.config },
      destination: { connector: duckdb, config: { ...file.destination.config, path: database } },
      streams: file.streams,
    }).run({ logger: silentLogger });
    expect(Object.fromEntries(Object.entries(summary.streams).map(([name, s]) => [name, s.records]))).toEqual({
      customers: 1000,
      products: 100,
      orders: 10000,
    });

    const shown = spawnSync(process.execPath, [join(quickstart, 'show.mjs'), database], { encoding: 'utf8' });
    expect(shown.stderr).toBe('');
    expect(shown.status).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => !line.startsWith('  '))).toEqual(['customers: 1000 rows', 'orders: 10000 rows', 'products: 100 rows']);
    expect(lines.filter((line) => line.startsWith('  { id: '))).toHaveLength(9);
    expect(shown.stdout).toMatch(/unit_price: \d+\.\d\d, amount: \d+\.\d\d/);
  });

  it('tells the user to run the pipeline first when the database is missing', () => {
    const shown = spawnSync(process.execPath, [join(quickstart, 'show.mjs'), join(dir, 'missing.duckdb')], { encoding: 'utf8' });
    expect(shown.status).toBe(1);
    expect(shown.stderr).toMatch(/run the pipeline first/);
  });
});
