import { describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  emptyState,
  isAfterKeyset,
  keyRangeBookmarks,
  rangesBetween,
  readStreams,
  setMetadata,
  silentLogger,
  type Catalog,
  type KeyRangeTask,
  type RecordData,
  type SourceMessage,
  type SourceStream,
  type State,
  type StreamSync,
} from '../src/index.js';

/** A table of 1,000 rows where runs of 37 rows share one updated_at: page boundaries fall inside the ties. */
function table(count = 1000): RecordData[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    name: `row ${i + 1}`,
    updated_at: new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 37) * 60_000).toISOString(),
  }));
}

/** A database-like stream: pages of `pageSize`, in key order (full table) or (updated_at, id) order (incremental). */
function tableStream(rows: RecordData[], pageSize = 50, reads: StreamSync[] = []): SourceStream {
  return {
    name: 'items',
    orderedByKey: true,
    orderedByReplicationKey: true,
    async *read(sync) {
      reads.push(sync);
      let matching: RecordData[];
      if (sync.method === 'FULL_TABLE') {
        const after = sync.resumeAfter?.['id'] as number | undefined;
        matching = rows.filter((r) => after === undefined || (r['id'] as number) > after);
      } else {
        const position = sync.position ?? { replicationKey: 'updated_at' };
        matching = [...rows]
          .sort((a, b) => String(a['updated_at']).localeCompare(String(b['updated_at'])) || (a['id'] as number) - (b['id'] as number))
          .filter((r) => isAfterKeyset(r, position, ['id']));
      }
      for (let i = 0; i < matching.length; i += pageSize) yield matching.slice(i, i + pageSize);
    },
  };
}

const schema = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: ['null', 'string'] }, updated_at: { type: 'string', format: 'date-time' } },
} as const;

function catalog(method: 'FULL_TABLE' | 'INCREMENTAL', names = ['items']): Catalog {
  return {
    streams: names.map((name) => {
      const stream = buildCatalogStream({
        stream: name,
        schema: structuredClone(schema) as never,
        keyProperties: ['id'],
        validReplicationKeys: ['updated_at'],
      });
      setMetadata(stream, [], {
        selected: true,
        'replication-method': method,
        ...(method === 'INCREMENTAL' ? { 'replication-key': 'updated_at' } : {}),
      });
      return stream;
    }),
  };
}

const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

async function collect(
  streams: SourceStream[],
  cat: Catalog,
  state: State = emptyState(),
  stopAfterStates = Infinity,
): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  let states = 0;
  for await (const message of readStreams(streams, cat, state, ctx())) {
    out.push(message);
    if (message.type === 'STATE' && ++states >= stopAfterStates) break;
  }
  return out;
}

const records = (messages: SourceMessage[]) => messages.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records : []));
const lastState = (messages: SourceMessage[]) => [...messages].reverse().find((m) => m.type === 'STATE')?.value as State;

describe('readStreams: FULL_TABLE', () => {
  it('stamps batches with a version, checkpoints last_pk_fetched after each and activates the version at the end', async () => {
    const messages = await collect([tableStream(table(120))], catalog('FULL_TABLE'));
    expect(messages.map((m) => m.type)).toEqual([
      'SCHEMA',
      'ACTIVATE_VERSION',
      'RECORD_BATCH',
      'STATE',
      'RECORD_BATCH',
      'STATE',
      'RECORD_BATCH',
      'STATE',
      'ACTIVATE_VERSION',
      'STATE',
    ]);
    const states = messages.filter((m) => m.type === 'STATE').map((m) => m.value as State);
    const version = states[0]?.bookmarks['items']?.version;
    expect(states.map((s) => s.bookmarks['items'])).toEqual([
      { version, last_pk_fetched: { id: 50 } },
      { version, last_pk_fetched: { id: 100 } },
      { version, last_pk_fetched: { id: 120 } },
      { version },
    ]);
    expect(states.map((s) => s.currently_syncing)).toEqual(['items', 'items', 'items', null]);
  });

  it('resumes an interrupted sync after the last committed key under the same version, without duplicates', async () => {
    const rows = table(300);
    const interrupted = await collect([tableStream(rows)], catalog('FULL_TABLE'), emptyState(), 3);
    const checkpoint = lastState(interrupted);
    const resumed = await collect([tableStream(rows)], catalog('FULL_TABLE'), checkpoint);
    const ids = [...records(interrupted), ...records(resumed)].map((r) => r['id']);
    expect(ids).toEqual(rows.map((r) => r['id']));
    expect(resumed.filter((m) => m.type === 'ACTIVATE_VERSION')).toEqual([
      { type: 'ACTIVATE_VERSION', stream: 'items', version: checkpoint.bookmarks['items']?.version },
    ]);
  });

  it('syncs the interrupted stream first, then the others in catalog order', async () => {
    const streams = ['a', 'b', 'c'].map((name) => ({ ...tableStream(table(10)), name }));
    const state: State = { bookmarks: { b: { version: 5, last_pk_fetched: { id: 4 } } }, currently_syncing: 'b' };
    const messages = await collect(streams, catalog('FULL_TABLE', ['a', 'b', 'c']), state);
    expect(messages.filter((m) => m.type === 'SCHEMA').map((m) => (m as { stream: string }).stream)).toEqual(['b', 'a', 'c']);
    expect(records(messages.filter((m) => 'stream' in m && m.stream === 'b')).map((r) => r['id'])[0]).toBe(5);
  });

  it('drops unselected fields from records and the SCHEMA but keeps the key', async () => {
    const cat = catalog('FULL_TABLE');
    setMetadata(cat.streams[0]!, ['properties', 'name'], { selected: false });
    const messages = await collect([tableStream(table(3))], cat);
    expect(records(messages)[0]).toEqual({ id: 1, updated_at: '2024-01-01T00:00:00.000Z' });
    const schemaMessage = messages.find((m) => m.type === 'SCHEMA');
    expect(schemaMessage?.type === 'SCHEMA' && Object.keys(schemaMessage.schema.properties ?? {})).toEqual(['id', 'updated_at']);
  });
});

describe('readStreams: INCREMENTAL in keyset order', () => {
  it('bookmarks the replication key with the last row key after each batch, and drops the row key at the end', async () => {
    const messages = await collect([tableStream(table(100))], catalog('INCREMENTAL'));
    const states = messages.filter((m) => m.type === 'STATE').map((m) => m.value as State);
    expect(states[0]?.bookmarks['items']).toEqual({
      replication_key: 'updated_at',
      replication_key_value: '2024-01-01T00:01:00.000Z',
      replication_key_pk: { id: 50 },
    });
    expect(states.at(-1)?.bookmarks['items']).toEqual({ replication_key: 'updated_at', replication_key_value: '2024-01-01T00:02:00.000Z' });
    expect(messages.find((m) => m.type === 'SCHEMA')).toMatchObject({ bookmark_properties: ['updated_at'] });
  });

  it('never loses or repeats a row sharing a replication-key value across batches and interrupted runs', async () => {
    const rows = table(1000);
    const seen: unknown[] = [];
    let state = emptyState();
    // Stop after every second STATE, as if the run were killed right after that commit, until it finishes.
    for (let run = 0; run < 100; run++) {
      const messages = await collect([tableStream(rows, 23)], catalog('INCREMENTAL'), state, 2);
      seen.push(...records(messages).map((r) => r['id']));
      state = lastState(messages);
      if (state.currently_syncing === null) break;
    }
    expect(seen).toEqual(rows.map((r) => r['id']));
  });

  it('re-reads the rows of the bookmarked value on the next run, so rows arriving later with that value are not missed', async () => {
    const rows = table(74);
    const first = await collect([tableStream(rows)], catalog('INCREMENTAL'));
    const late = { id: 5000, name: 'late', updated_at: rows.at(-1)?.['updated_at'] };
    const second = await collect([tableStream([...rows, late])], catalog('INCREMENTAL'), lastState(first));
    expect(records(second).map((r) => r['id'])).toEqual([...rows.slice(37).map((r) => r['id']), 5000]);
  });

  it('re-reads the lookback window of an ordered stream without moving its bookmark back', async () => {
    const rows = table(74);
    const stream = { ...tableStream(rows), lookback: 60 };
    const first = await collect([stream], catalog('INCREMENTAL'));
    const bookmark = lastState(first).bookmarks['items']?.replication_key_value;
    expect(bookmark).toBe('2024-01-01T00:01:00.000Z');
    const second = await collect([stream], catalog('INCREMENTAL'), lastState(first));
    expect(records(second).map((r) => r['id'])).toEqual(rows.map((r) => r['id']));
    const values = second.filter((m) => m.type === 'STATE').map((m) => (m.value as State).bookmarks['items']?.replication_key_value);
    expect(values.every((v) => v === bookmark)).toBe(true);
  });

  it('fails when a stream that promised keyset order returns rows before its start (the system ignored the filter)', async () => {
    const ignoring: SourceStream = {
      name: 'items',
      orderedByReplicationKey: true,
      startValue: '2024-01-01T00:01:00.000Z',
      async *read() {
        yield table(40);
      },
    };
    await expect(collect([ignoring], catalog('INCREMENTAL'))).rejects.toMatchObject({
      code: 'STREAM_BEFORE_START',
      stream: 'items',
      field: 'updated_at',
    });
  });

  it('fails naming the stream when a stream that promised keyset order yields rows out of order', async () => {
    const unsorted: SourceStream = {
      name: 'items',
      orderedByReplicationKey: true,
      async *read() {
        yield [...table(40)].reverse();
      },
    };
    await expect(collect([unsorted], catalog('INCREMENTAL'))).rejects.toMatchObject({ code: 'STREAM_NOT_SORTED', stream: 'items' });
  });
});

describe('readStreams: INCREMENTAL by largest value, lookback and partitions', () => {
  it('starts at the bookmark moved back by the lookback window, and never moves the bookmark back', async () => {
    const reads: StreamSync[] = [];
    const stream: SourceStream = {
      name: 'items',
      lookback: 3600,
      async *read(sync) {
        reads.push(sync);
        yield [{ id: 1, updated_at: '2024-03-01T09:30:00.000Z' }];
      },
    };
    const state: State = { bookmarks: { items: { replication_key: 'updated_at', replication_key_value: '2024-03-01T10:00:00.000Z' } } };
    const messages = await collect([stream], catalog('INCREMENTAL'), state);
    expect(reads[0]?.start).toBe('2024-03-01T09:00:00.000Z');
    expect(lastState(messages).bookmarks['items']?.replication_key_value).toBe('2024-03-01T10:00:00.000Z');
  });

  it('keeps the bookmark until the end for unordered records, then saves the largest value', async () => {
    const stream: SourceStream = {
      name: 'items',
      startValue: '2020-01-01T00:00:00Z',
      async *read(sync) {
        expect(sync.start).toBe('2020-01-01T00:00:00Z');
        yield [{ id: 2, updated_at: '2024-05-02T00:00:00Z' }];
        yield [{ id: 1, updated_at: '2024-05-01T00:00:00Z' }];
      },
    };
    const messages = await collect([stream], catalog('INCREMENTAL'));
    const values = messages.filter((m) => m.type === 'STATE').map((m) => (m.value as State).bookmarks['items']?.replication_key_value);
    expect(values).toEqual([undefined, undefined, '2024-05-02T00:00:00Z']);
  });

  it('keeps a bookmark per partition, and a resumed run starts each partition at its own bookmark', async () => {
    const comments: Record<number, RecordData[]> = {
      12: [
        { id: 1, updated_at: '2024-01-01T00:00:00Z' },
        { id: 2, updated_at: '2024-01-03T00:00:00Z' },
      ],
      13: [{ id: 3, updated_at: '2024-01-02T00:00:00Z' }],
    };
    const starts: Record<string, unknown> = {};
    const stream: SourceStream = {
      name: 'items',
      async *partitions() {
        yield { issue: 12 };
        yield { issue: 13 };
        yield { issue: 12 };
      },
      async *read(sync) {
        const issue = sync.partition?.['issue'] as number;
        starts[issue] = sync.start;
        yield (comments[issue] ?? []).filter((c) => sync.start === undefined || String(c['updated_at']) >= String(sync.start));
      },
    };
    const first = await collect([stream], catalog('INCREMENTAL'));
    expect(lastState(first).bookmarks['items']).toEqual({
      replication_key: 'updated_at',
      partitions: {
        'issue=12': { replication_key: 'updated_at', replication_key_value: '2024-01-03T00:00:00Z' },
        'issue=13': { replication_key: 'updated_at', replication_key_value: '2024-01-02T00:00:00Z' },
      },
    });
    expect(records(first)).toHaveLength(3);
    const second = await collect([stream], catalog('INCREMENTAL'), lastState(first));
    expect(starts).toEqual({ 12: '2024-01-03T00:00:00Z', 13: '2024-01-02T00:00:00Z' });
    expect(records(second).map((r) => r['id'])).toEqual([2, 3]);
  });

  it('a partition whose requests are done frees its place: `concurrency` requests stay in flight while the consumer handles answers', async () => {
    let requesting = 0;
    let maxRequesting = 0;
    let open = 0;
    let maxOpen = 0;
    const stream: SourceStream = {
      name: 'items',
      concurrency: 4,
      async *partitions() {
        for (let issue = 1; issue <= 40; issue++) yield { issue };
      },
      async *read(sync) {
        open++;
        maxOpen = Math.max(maxOpen, open);
        try {
          requesting++;
          maxRequesting = Math.max(maxRequesting, requesting);
          await new Promise((resolve) => setTimeout(resolve, 20));
          requesting--;
          sync.requestsDone?.();
          const issue = sync.partition?.['issue'] as number;
          yield [{ id: issue * 100, updated_at: '2024-01-01T00:00:00.000Z' }];
        } finally {
          open--;
        }
      },
    };
    let busyWhileConsuming = 0;
    let batches = 0;
    const out: SourceMessage[] = [];
    for await (const message of readStreams([stream], catalog('FULL_TABLE'), emptyState(), ctx())) {
      out.push(message);
      if (message.type !== 'RECORD_BATCH') continue;
      batches++;
      busyWhileConsuming += requesting;
      // The consumer takes a little time per answer: meanwhile the next partitions' requests are already out.
      await new Promise((resolve) => setTimeout(resolve, 4));
    }
    expect(records(out).map((r) => r['id'])).toHaveLength(40);
    expect(maxRequesting).toBe(4);
    expect(maxOpen).toBeLessThanOrEqual(8);
    // Without the early release a partition's place is freed only once its last message was passed on: the answers that
    // arrived together are handled one by one while their places stay empty (about 2 in flight on average here, near 4 with it).
    expect(busyWhileConsuming / batches).toBeGreaterThan(3);
  });

  it('reads partitions concurrently, and every STATE covers only records already emitted', async () => {
    const issues = Array.from({ length: 12 }, (_, i) => i + 1);
    const perIssue = (issue: number) =>
      Array.from({ length: 5 }, (_, j) => ({ id: issue * 100 + j, updated_at: `2024-01-0${1 + j}T00:00:00.000Z` }));
    let inFlight = 0;
    let maxInFlight = 0;
    const stream: SourceStream = {
      name: 'items',
      concurrency: 4,
      orderedByReplicationKey: true,
      async *partitions() {
        for (const issue of issues) yield { issue };
      },
      async *read(sync) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          const rows = perIssue(sync.partition?.['issue'] as number);
          for (let i = 0; i < rows.length; i += 2) {
            await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 5)));
            yield rows.slice(i, i + 2);
          }
        } finally {
          inFlight--;
        }
      },
    };
    const messages = await collect([stream], catalog('INCREMENTAL'));
    expect(maxInFlight).toBe(4);
    // Replay: at each STATE, every partition's bookmark must be at or behind the newest record emitted for it.
    const emitted = new Map<string, string>();
    for (const m of messages) {
      if (m.type === 'RECORD_BATCH')
        for (const r of m.records) emitted.set(`issue=${Math.floor((r['id'] as number) / 100)}`, String(r['updated_at']));
      if (m.type !== 'STATE') continue;
      const partitions = ((m.value as State).bookmarks['items']?.['partitions'] ?? {}) as Record<
        string,
        { replication_key_value?: string }
      >;
      for (const [key, bookmark] of Object.entries(partitions)) {
        if (bookmark.replication_key_value === undefined) continue;
        expect(emitted.get(key), key).toBeDefined();
        expect(bookmark.replication_key_value <= (emitted.get(key) as string), key).toBe(true);
      }
    }
    expect(records(messages)).toHaveLength(60);
    expect(Object.keys((lastState(messages).bookmarks['items']?.['partitions'] ?? {}) as object)).toHaveLength(12);
  });

  it('rejects a stream the source does not have and an INCREMENTAL stream without a replication key, before reading', async () => {
    await expect(collect([tableStream(table(1))], catalog('FULL_TABLE', ['nope']))).rejects.toMatchObject({
      code: 'STREAM_UNKNOWN',
      stream: 'nope',
    });
    const cat = catalog('INCREMENTAL');
    setMetadata(cat.streams[0]!, [], { 'replication-key': undefined });
    await expect(collect([tableStream(table(1))], cat)).rejects.toMatchObject({ code: 'REPLICATION_KEY_NOT_SET', stream: 'items' });
  });
});

describe('readStreams: a FULL_TABLE stream split into key ranges (ctx.keyRange)', () => {
  const rows = table(300);
  const planned = (): State => ({
    bookmarks: { ...keyRangeBookmarks('items', rangesBetween([{ id: 101 }, { id: 201 }]), 500) },
  });
  async function read(state: State, keyRange: KeyRangeTask, stopAfterStates = Infinity): Promise<SourceMessage[]> {
    const out: SourceMessage[] = [];
    let states = 0;
    for await (const message of readStreams([tableStream(rows)], catalog('FULL_TABLE'), state, { ...ctx(), keyRange })) {
      out.push(message);
      if (message.type === 'STATE' && ++states >= stopAfterStates) break;
    }
    return out;
  }

  it('reads only its range with the split version, no ACTIVATE_VERSION, and resumes after its own committed key', async () => {
    const task = { stream: 'items', count: 3, index: 2 };
    const all = await read(planned(), task);
    expect(records(all).map((r) => r['id'])).toEqual(rows.slice(100, 200).map((r) => r['id']));
    expect(all.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
    expect(all.filter((m) => m.type === 'RECORD_BATCH').every((m) => m.type === 'RECORD_BATCH' && m.version === 500)).toBe(true);
    expect(lastState(all).bookmarks['items#range-2-of-3']).toMatchObject({ done: true, version: 500 });
    expect(lastState(all).bookmarks['items']).toBeUndefined();

    // Killed after its first committed batch: the retry reads the rest of the range only.
    const first = await read(planned(), task, 1);
    const committed = lastState(first);
    expect(committed.bookmarks['items#range-2-of-3']!.last_pk_fetched).toEqual({ id: 150 });
    const rest = await read(committed, task);
    expect(records(rest).map((r) => r['id'])).toEqual(rows.slice(150, 200).map((r) => r['id']));
  });

  it('finalizes once every range is done: ACTIVATE_VERSION of the split version, the stream bookmark as after a whole sync', async () => {
    let state = planned();
    for (const index of [1, 2, 3]) state = lastState(await read(state, { stream: 'items', count: 3, index }));
    const done = await read(state, { stream: 'items', count: 3, finalize: true });
    expect(done.map((m) => m.type)).toEqual(['SCHEMA', 'ACTIVATE_VERSION', 'STATE']);
    expect(lastState(done).bookmarks).toEqual({ items: { version: 500 } });
    await expect(read(planned(), { stream: 'items', count: 3, finalize: true })).rejects.toThrow(/not read completely/);
  });
});
