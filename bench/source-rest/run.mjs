// source-rest: 2,000 child requests against a local server that answers each request after 20 ms, read with
// `concurrency: 8`. Prints the time against the ideal (2,000 × 20 ms / 8) and the heap over the run (sampled every
// 100 ms), which should stay flat: one page per partition in flight, records passed on as they come.
//   node --expose-gc bench/source-rest/run.mjs [--children 2000] [--latency 20] [--concurrency 8] [--records 10]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { RestSource } from '@mage-int/source-rest';

const { values } = parseArgs({
  options: {
    children: { type: 'string', default: '2000' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    records: { type: 'string', default: '10' },
  },
});
const children = Number(values.children);
const latency = Number(values.latency);
const concurrency = Number(values.concurrency);
const perChild = Number(values.records);

const parents = Array.from({ length: children }, (_, i) => ({ id: i + 1, name: `parent ${i + 1}` }));
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  setTimeout(() => {
    if (url.pathname === '/parents')
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: parents }));
    const parent = Number(url.pathname.split('/')[2]);
    const rows = Array.from({ length: perChild }, (_, i) => ({
      id: parent * 1000 + i,
      parent_id: parent,
      body: 'x'.repeat(200),
      created_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
    }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: rows }));
  }, latency);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const source = new RestSource({
  config: {
    client: { base_url: base, paginator: { type: 'single_page' } },
    resource_defaults: { primary_key: 'id', infer_schema: false },
    resources: [{ name: 'parents' }, { name: 'children', concurrency, endpoint: { path: 'parents/{resources.parents.id}/children' } }],
  },
});
const catalog = await source.discover();
for (const stream of catalog.streams) {
  const top = stream.metadata.find((m) => m.breadcrumb.length === 0);
  top.metadata.selected = stream.stream === 'children';
}

// The baseline in the same run: the same 2,000 child requests with bare fetch, 8 at a time (what the machine allows now).
async function bareFetch() {
  let next = 0;
  const worker = async () => {
    while (next < children) {
      const id = ++next;
      const response = await fetch(`${base}/parents/${id}/children`);
      JSON.parse(await response.text());
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - t0;
}
const baseline = await bareFetch();

const heap = [];
// With --expose-gc the heap is measured after a collection (what is retained); otherwise as found.
const sampler = setInterval(() => {
  globalThis.gc?.();
  heap.push(process.memoryUsage().heapUsed);
}, 100);
const cpuBefore = process.cpuUsage();
const started = performance.now();
let records = 0;
for await (const message of source.read(catalog)) if (message.type === 'RECORD_BATCH') records += message.records.length;
const elapsed = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
clearInterval(sampler);
server.close();

const ideal = (children * latency) / concurrency + latency;
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const quarter = Math.max(1, Math.floor(heap.length / 4));
const early = Math.max(...heap.slice(0, quarter));
const late = Math.max(...heap.slice(-quarter));
console.log(`children: ${children} requests, ${records} records, latency ${latency} ms, concurrency ${concurrency}`);
console.log(
  `elapsed ${(elapsed / 1000).toFixed(2)} s, ideal ${(ideal / 1000).toFixed(2)} s: ratio ${(elapsed / ideal).toFixed(2)}× (bar: ≤ 1.5×)`,
);
console.log(
  `bare fetch, ${concurrency} at a time, same server: ${(baseline / 1000).toFixed(2)} s: source-rest takes ${(elapsed / baseline).toFixed(2)}× the baseline`,
);
console.log(
  `CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s in this process (source and the stand-in server) — on a busy machine the ratio grows with the wait for a core`,
);
console.log(
  `heap: peak ${mb(Math.max(...heap))} MB; first quarter ${mb(early)} MB, last quarter ${mb(late)} MB (flat when these are close)`,
);
