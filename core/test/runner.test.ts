import { describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  createLogger,
  defineDestination,
  defineSource,
  getBookmark,
  MemoryStateStore,
  pipeline,
  setBookmark,
  silentLogger,
  type RecordData,
  type SourceMessage,
  type State,
} from '../src/index.js';

/** A source of `total` numbered rows, resumable from its bookmark, that records what happens to it. */
function countingSource(total: number, events: string[]) {
  return defineSource<{ batch: number; token?: string }>({
    kind: 'source',
    name: 'counting',
    spec: { type: 'object', properties: { batch: { type: 'integer', default: 10 }, token: { type: 'string', secret: true } } },
    async check() {
      return { ok: true };
    },
    async discover() {
      return {
        streams: [
          buildCatalogStream({
            stream: 'rows',
            schema: { properties: { id: { type: 'integer' }, label: { type: 'string' }, extra: { type: 'string' } } },
            keyProperties: ['id'],
          }),
        ],
      };
    },
    async *read(config, _catalog, state, ctx) {
      ctx.logger.info(`connecting with token ${config.token ?? ''}`);
      let next = Number(getBookmark(state, 'rows').last_pk_fetched?.['id'] ?? 0) + 1;
      events.push(`read from ${next}`);
      let current: State = state;
      try {
        yield {
          type: 'SCHEMA',
          stream: 'rows',
          schema: { properties: { id: { type: 'integer' }, label: { type: 'string' }, extra: { type: 'string' } } },
          key_properties: ['id'],
        };
        while (next <= total) {
          const records: RecordData[] = [];
          for (let i = 0; i < config.batch && next <= total; i++, next++) records.push({ id: next, label: `row ${next}`, extra: 'x' });
          events.push(`emitted up to ${next - 1}`);
          yield { type: 'RECORD_BATCH', stream: 'rows', records };
          current = setBookmark(current, 'rows', { last_pk_fetched: { id: next - 1 } });
          yield { type: 'STATE', value: current };
        }
      } finally {
        events.push('source closed');
      }
    },
    async commit(_config, state) {
      events.push(`commit ${String(getBookmark(state, 'rows').last_pk_fetched?.['id'])}`);
    },
  });
}

/** A destination that commits into `table` on every STATE and can be told to fail at a row. */
function memoryDestination(table: Map<number, RecordData>, events: string[], failAt?: number) {
  return defineDestination<Record<string, never>>({
    kind: 'destination',
    name: 'memory',
    spec: { type: 'object' },
    async check() {
      return { ok: true };
    },
    async *write(_config, messages) {
      let pending: RecordData[] = [];
      for await (const message of messages as AsyncIterable<SourceMessage>) {
        if (message.type === 'RECORD_BATCH') {
          for (const r of message.records) {
            if (r['id'] === failAt) throw new Error(`cannot load row ${failAt}`);
            pending.push(r);
          }
        } else if (message.type === 'STATE') {
          for (const r of pending) table.set(r['id'] as number, r);
          pending = [];
          events.push(`committed ${table.size}`);
          yield message;
        }
      }
    },
  });
}

class RecordingStore extends MemoryStateStore {
  constructor(private readonly events: string[]) {
    super();
  }
  override async save(id: string, state: State): Promise<void> {
    this.events.push(`saved ${String(getBookmark(state, 'rows').last_pk_fetched?.['id'])}`);
    await super.save(id, state);
  }
}

describe('runPipeline', () => {
  it('persists each state after the destination committed it, then tells the source', async () => {
    const events: string[] = [];
    const table = new Map<number, RecordData>();
    const summary = await pipeline({
      source: { connector: countingSource(30, events), config: { batch: 10 } },
      destination: { connector: memoryDestination(table, events), config: {} },
      stateStore: new RecordingStore(events),
    }).run({ logger: silentLogger });
    expect(table.size).toBe(30);
    expect(summary.streams['rows']?.records).toBe(30);
    const order = events.filter((e) => /^(committed|saved|commit) /.test(e));
    expect(order.slice(0, 3)).toEqual(['committed 10', 'saved 10', 'commit 10']);
    expect(order.at(-1)).toBe('commit 30');
  });

  it('stops the source when the destination fails and resumes from the last committed state', async () => {
    const events: string[] = [];
    const table = new Map<number, RecordData>();
    const store = new MemoryStateStore();
    const failing = pipeline({
      id: 'resume',
      source: { connector: countingSource(50, events), config: { batch: 10 } },
      destination: { connector: memoryDestination(table, events, 25), config: {} },
      stateStore: store,
    });
    await expect(failing.run({ logger: silentLogger })).rejects.toThrow('cannot load row 25');
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toContain('source closed');
    expect(getBookmark((await store.load('resume'))!, 'rows').last_pk_fetched).toEqual({ id: 20 });
    expect(table.size).toBe(20);

    events.length = 0;
    await pipeline({
      id: 'resume',
      source: { connector: countingSource(50, events), config: { batch: 10 } },
      destination: { connector: memoryDestination(table, events), config: {} },
      stateStore: store,
    }).run({ logger: silentLogger });
    expect(events[0]).toBe('read from 21');
    expect([...table.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('keeps memory bounded: the source reads at most buffer_records records ahead of the destination', async () => {
    const events: string[] = [];
    let emitted = 0;
    let consumed = 0;
    let maxAhead = 0;
    const source = countingSource(10_000, events);
    const tracked = {
      ...source,
      async *read(...args: Parameters<typeof source.read>) {
        for await (const m of source.read(...args)) {
          if (m.type === 'RECORD_BATCH') emitted++;
          maxAhead = Math.max(maxAhead, emitted - consumed);
          yield m;
        }
      },
    };
    const slow = defineDestination<Record<string, never>>({
      kind: 'destination',
      name: 'slow',
      spec: { type: 'object' },
      check: async () => ({ ok: true }),
      async *write(_c, messages) {
        for await (const m of messages) {
          if (m.type === 'RECORD_BATCH') {
            consumed++;
            await new Promise((r) => setImmediate(r));
          } else if (m.type === 'STATE') yield m;
        }
      },
    });
    await pipeline({
      source: { connector: tracked, config: { batch: 10 } },
      destination: { connector: slow, config: {} },
      bufferRecords: 100,
    }).run({
      logger: silentLogger,
    });
    expect(consumed).toBe(1000);
    // 100 records = 10 batches queued, one in the destination's hands, one being produced. It reads that far ahead
    // only while the destination waited for the source (at the start here); then one batch ahead of this slower
    // destination (see prefetch).
    expect(maxAhead).toBeLessThanOrEqual(12);
    expect(maxAhead).toBeGreaterThanOrEqual(5);
  });

  it('removes deselected fields from schemas and records', async () => {
    const table = new Map<number, RecordData>();
    await pipeline({
      source: { connector: countingSource(5, []), config: {} },
      destination: { connector: memoryDestination(table, []), config: {} },
      streams: { rows: { fields: ['label'] } },
    }).run({ logger: silentLogger });
    expect(table.get(1)).toEqual({ id: 1, label: 'row 1' });
  });

  it('rejects an invalid config before connecting, and never logs secrets', async () => {
    const events: string[] = [];
    await expect(
      pipeline({
        source: { connector: countingSource(5, events), config: { batch: 'ten' } },
        destination: { connector: memoryDestination(new Map(), events), config: {} },
      }).run(),
    ).rejects.toThrow(/invalid config for source counting: "batch" must be integer/);
    expect(events).toEqual([]);

    const lines: string[] = [];
    await pipeline({
      source: { connector: countingSource(1, []), config: { token: 'hunter2-secret' } },
      destination: { connector: memoryDestination(new Map(), []), config: {} },
    }).run({ logger: createLogger({ secrets: ['hunter2-secret'], write: (l) => lines.push(l) }) });
    expect(lines.join('\n')).toContain('connecting with token ***');
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('rejects a source that breaks the protocol, naming the stream', async () => {
    const bad = defineSource<Record<string, never>>({
      ...countingSource(1, []),
      async *read() {
        yield { type: 'RECORD', stream: 'rows', record: { id: 1 } };
      },
    } as never);
    await expect(
      pipeline({ source: { connector: bad, config: {} }, destination: { connector: memoryDestination(new Map(), []), config: {} } }).run({
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({ code: 'RECORD_BEFORE_SCHEMA', stream: 'rows' });
  });

  it('skips schema validation for a source typed by its storage, unless the pipeline asks for it', async () => {
    const typed = {
      ...countingSource(1, []),
      schemaEnforced: true,
      async *read() {
        yield {
          type: 'SCHEMA',
          stream: 'rows',
          schema: { properties: { id: { type: 'integer' }, label: { type: 'string' } } },
          key_properties: ['id'],
        } as const;
        yield { type: 'RECORD_BATCH', stream: 'rows', records: [{ id: 1, label: 42 }] } as const;
        yield { type: 'STATE', value: { bookmarks: {} } } as const;
      },
    };
    const table = new Map<number, RecordData>();
    const run = (validateRecords?: boolean) =>
      pipeline({
        source: { connector: typed as never, config: {} },
        destination: { connector: memoryDestination(table, []), config: {} },
        validateRecords,
      }).run({ logger: silentLogger });
    await run();
    expect(table.get(1)).toEqual({ id: 1, label: 42 });
    await expect(run(true)).rejects.toMatchObject({ code: 'RECORD_INVALID', field: 'label' });
  });
});
