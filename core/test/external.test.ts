import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineDestination, externalDestination, externalSource, forEachRecord, MemoryStateStore, pipeline, silentLogger, type RecordData, type SourceMessage } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function collect(rows: RecordData[]) {
  return defineDestination<Record<string, never>>({
    kind: 'destination',
    name: 'collect',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    async *write(_c, messages) {
      for await (const m of messages as AsyncIterable<SourceMessage>) {
        if (m.type === 'RECORD' || m.type === 'RECORD_BATCH') forEachRecord(m, (record) => rows.push(record));
        if (m.type === 'STATE') yield m;
      }
    },
  });
}

describe('external Singer executables', () => {
  it('runs a foreign tap as a subprocess, exact numbers and state included, and resumes from its state', async () => {
    const rows: RecordData[] = [];
    const store = new MemoryStateStore();
    const tap = externalSource({ command: fixture('tap-numbers.mjs') });
    const run = () => pipeline({ id: 'ext', source: { connector: tap, config: { count: 12 } }, destination: { connector: collect(rows), config: {} }, stateStore: store }).run({ logger: silentLogger });
    await run();
    expect(rows.map((r) => r['n'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(rows[0]!['big']).toBe(90071992547409931n);
    expect((await store.load('ext'))?.bookmarks['numbers']).toEqual({ n: 10 });
    rows.length = 0;
    await run();
    expect(rows.map((r) => r['n'])).toEqual([11, 12]);
  });

  it('fails with the tap exit code and its last stderr lines', async () => {
    const tap = externalSource({ command: fixture('tap-numbers.mjs') });
    await expect(
      pipeline({ source: { connector: tap, config: { count: 3, fail: true } }, destination: { connector: collect([]), config: {} } }).run({ logger: silentLogger }),
    ).rejects.toThrow(/exited with code 3:[\s\S]*upstream API said no/);
  });

  it('reports a tap that is not installed', async () => {
    const tap = externalSource({ command: 'tap-that-does-not-exist' });
    await expect(
      pipeline({ source: { connector: tap, config: {} }, destination: { connector: collect([]), config: {} } }).run({ logger: silentLogger }),
    ).rejects.toMatchObject({ code: 'EXTERNAL_START_FAILED', hint: expect.stringContaining('PATH') });
  });

  it('pipes a tap into a foreign target: tap-foo | target-bar through mage-int', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ext-'));
    const out = join(dir, 'rows.jsonl');
    const store = new MemoryStateStore();
    const summary = await pipeline({
      id: 'pipe',
      source: { connector: externalSource({ command: fixture('tap-numbers.mjs') }), config: { count: 7 } },
      destination: { connector: externalDestination({ command: fixture('target-collect.mjs') }), config: { out } },
      stateStore: store,
    }).run({ logger: silentLogger });
    expect(summary.streams['numbers']?.records).toBe(7);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe('{"n":7,"big":90071992547409937}');
    expect((await store.load('pipe'))?.bookmarks['numbers']).toEqual({ n: 5 });
  });

  it('reports the exit status and message of a target that dies early, not the broken pipe', async () => {
    await expect(
      pipeline({
        source: { connector: externalSource({ command: fixture('tap-numbers.mjs') }), config: { count: 200000 } },
        destination: { connector: externalDestination({ command: fixture('target-dies.mjs') }), config: {} },
      }).run({ logger: silentLogger }),
    ).rejects.toThrow(/target-dies.mjs exited with code 2:\s+target-dies: cannot connect to the warehouse/);
  });
});
