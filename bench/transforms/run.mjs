#!/usr/bin/env node
// 1M faker orders → DuckDB through the runner, with a stream map hashing two fields and without transforms, in
// alternating rounds (a busy machine moves both sides alike). The bar: the map's overhead ≤ 20%.
// Build first (npm run build). Usage: node bench/transforms/run.mjs [--orders 1000000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pipeline, silentLogger, tuneHeapForStreaming } from '@mage-int/core';
import faker from '@mage-int/source-faker';
import duckdb, { DuckDB } from '@mage-int/destination-duckdb';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const orders = Number(values.orders);
const rounds = Number(values.rounds);
tuneHeapForStreaming();

const MAPS = [{ stream_maps: { orders: { status: 'md5(status)', payment_method: 'sha256(payment_method)' } } }];
const dir = mkdtempSync(join(tmpdir(), 'bench-transforms-'));

async function once(label, transforms) {
  const path = join(dir, `${label}.duckdb`);
  rmSync(path, { force: true });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = await pipeline({
    id: label,
    source: { connector: faker, config: { seed: 11, customers: 100, products: 20, orders } },
    destination: { connector: duckdb, config: { path } },
    select: ['orders'],
    transforms,
  }).run({ logger: silentLogger });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const rows = summary.streams['orders']?.records ?? 0;
  const db = new DuckDB({ config: { path } });
  const [check] = await db.query("SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE length(status) = 32 AND length(payment_method) = 64)::INTEGER AS hashed FROM orders");
  await db.close();
  rmSync(path, { force: true });
  return { label, seconds, cpu: (used.user + used.system) / 1e6, rows, loaded: check.n, hashed: check.hashed };
}

const results = { plain: [], mapped: [] };
try {
  for (let r = 0; r < rounds; r++) {
    for (const [label, transforms] of r % 2 === 0 ? [['plain', []], ['mapped', MAPS]] : [['mapped', MAPS], ['plain', []]]) {
      const result = await once(label, transforms);
      results[label].push(result);
      console.log(`${label.padEnd(6)} ${result.seconds.toFixed(2)} s  CPU ${result.cpu.toFixed(2)} s  ${result.loaded} rows loaded, ${result.hashed} hashed`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const best = (list, key) => Math.min(...list.map((r) => r[key]));
const median = (list, key) => list.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
for (const key of ['seconds', 'cpu']) {
  const overheadBest = best(results.mapped, key) / best(results.plain, key) - 1;
  const overheadMedian = median(results.mapped, key) / median(results.plain, key) - 1;
  console.log(`overhead (${key === 'seconds' ? 'wall' : 'CPU'}): best ${(overheadBest * 100).toFixed(1)}%, median ${(overheadMedian * 100).toFixed(1)}%  (bar: ≤ 20%)`);
}
