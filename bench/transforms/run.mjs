#!/usr/bin/env node
// 1M faker orders → DuckDB through the runner, with a stream map hashing two fields and without transforms, in
// alternating rounds (a busy machine moves both sides alike). The bar: the map's overhead ≤ 20%.
// Build first (npm run build). Usage: node bench/transforms/run.mjs [--orders 1000000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { catalogStreamNames, pipeline, silentLogger, streamMapsTransform, tuneHeapForStreaming } from '@mage-int/core';
import faker from '@mage-int/source-faker';
import duckdb, { DuckDB } from '@mage-int/destination-duckdb';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const orders = Number(values.orders);
const rounds = Number(values.rounds);
tuneHeapForStreaming();

// One categorical field (6 distinct values) and one nearly unique one (a timestamp per order).
const STREAM_MAPS = { orders: { status: 'md5(status)', created_at: 'sha256(created_at)' } };
// The same stream map as a pipeline file's step would build, timed: what the transform itself costs, apart from what
// the destination does differently with the hashed (longer) values.
let inTransform = 0;
let inTransformCpu = 0;
// The main thread's CPU (Node ≥ 23.9), so DuckDB's own threads do not count; else the process's.
const threadCpu = () => {
  const u = process.threadCpuUsage ? process.threadCpuUsage() : process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
function timedMaps() {
  const inner = streamMapsTransform(STREAM_MAPS, { name: 'stream_maps #1', config: {}, names: catalogStreamNames() });
  return {
    name: inner.name,
    schema: (m) => inner.schema(m),
    records(batch) {
      const t = performance.now();
      const c = threadCpu();
      const out = inner.records(batch);
      inTransformCpu += threadCpu() - c;
      inTransform += performance.now() - t;
      return out;
    },
  };
}
const dir = mkdtempSync(join(tmpdir(), 'bench-transforms-'));

async function once(label, transforms) {
  inTransform = 0;
  inTransformCpu = 0;
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
  const [check] = await db.query(
    'SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE length(status) = 32 AND length(created_at::VARCHAR) = 64)::INTEGER AS hashed FROM orders',
  );
  await db.close();
  rmSync(path, { force: true });
  return {
    label,
    seconds,
    cpu: (used.user + used.system) / 1e6,
    rows,
    loaded: check.n,
    hashed: check.hashed,
    transform: inTransform / 1000,
    transformCpu: inTransformCpu,
  };
}

const results = { plain: [], mapped: [] };
try {
  for (let r = 0; r < rounds; r++) {
    for (const label of r % 2 === 0 ? ['plain', 'mapped'] : ['mapped', 'plain']) {
      const result = await once(label, label === 'plain' ? [] : [{ transform: timedMaps() }]);
      results[label].push(result);
      const own =
        label === 'mapped' ? `, ${result.transform.toFixed(2)} s in the stream map (CPU ${result.transformCpu.toFixed(2)} s)` : '';
      console.log(
        `${label.padEnd(6)} ${result.seconds.toFixed(2)} s  CPU ${result.cpu.toFixed(2)} s  ${result.loaded} rows loaded, ${result.hashed} hashed${own}`,
      );
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
  console.log(
    `overhead (${key === 'seconds' ? 'wall' : 'CPU'}): best ${(overheadBest * 100).toFixed(1)}%, median ${(overheadMedian * 100).toFixed(1)}%  (bar: ≤ 20%)`,
  );
}
const own = median(results.mapped, 'transform') / median(results.plain, 'seconds');
console.log(
  `the stream map's own time: median ${median(results.mapped, 'transform').toFixed(2)} s = ${(own * 100).toFixed(1)}% of the plain run's wall time`,
);
const ownCpu = median(results.mapped, 'transformCpu') / median(results.plain, 'cpu');
console.log(
  `the stream map's own CPU: median ${median(results.mapped, 'transformCpu').toFixed(2)} s = ${(ownCpu * 100).toFixed(1)}% of the plain run's CPU`,
);
