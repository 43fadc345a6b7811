import { describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  ConnectorError,
  defineDestination,
  defineSource,
  pipeline,
  silentLogger,
  type DiscoverProgress,
  type RunProgress,
  type SourceMessage,
  type StreamPhase,
} from '../src/index.js';

const SCHEMA = { properties: { id: { type: 'integer' } } };

/**
 * A source of streams read one after another (a, b, c), each announced with `currently_syncing`, or — for `log` —
 * a LOG_BASED stream: its snapshot, then changes after the snapshots. `failOn` throws in that stream.
 */
function sequentialSource(options: { log?: boolean; failOn?: string } = {}) {
  const names = options.log ? ['log'] : ['a', 'b', 'c'];
  return defineSource<Record<string, never>>({
    kind: 'source',
    name: 'sequential',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    async discover(_config, ctx) {
      const done: DiscoverProgress[] = [];
      names.forEach((name, i) => {
        const p = { unit: 'streams', done: i + 1, total: names.length, current: name };
        done.push(p);
        ctx.onProgress?.(p);
      });
      return {
        streams: names.map((stream) =>
          buildCatalogStream({ stream, schema: SCHEMA, keyProperties: ['id'], ...(options.log ? { replicationMethod: 'LOG_BASED' } : {}) }),
        ),
      };
    },
    async *read() {
      const bookmarks: Record<string, Record<string, unknown>> = {};
      for (const stream of names) {
        yield { type: 'STATE', value: { currently_syncing: stream, bookmarks: { ...bookmarks } } };
        yield { type: 'SCHEMA', stream, schema: SCHEMA, key_properties: ['id'] };
        if (options.failOn === stream) throw new ConnectorError('BROKEN', 'the table went away', { stream });
        yield { type: 'RECORD_BATCH', stream, records: [{ id: 1 }, { id: 2 }] };
        bookmarks[stream] = options.log ? { lsn: '0/10' } : { version: 1 };
      }
      yield { type: 'STATE', value: { currently_syncing: null, bookmarks: { ...bookmarks } } };
      if (options.log) {
        yield { type: 'RECORD_BATCH', stream: 'log', records: [{ id: 3 }] };
        yield { type: 'STATE', value: { currently_syncing: null, bookmarks: { log: { lsn: '0/20' } } } };
      }
    },
  });
}

/** Commits a STATE only when the next message arrives (one behind, as a batching destination does). */
const lateCommitter = defineDestination<Record<string, never>>({
  kind: 'destination',
  name: 'late',
  spec: { type: 'object' },
  check: async () => ({ ok: true }),
  async *write(_config, messages) {
    let held: SourceMessage | undefined;
    for await (const message of messages as AsyncIterable<SourceMessage>) {
      if (held?.type === 'STATE') yield held;
      held = message;
    }
    if (held?.type === 'STATE') yield held;
  },
});

/** Runs the pipeline and returns each stream's phases in the order they were reported (repeats removed). */
async function phasesOf(source: ReturnType<typeof sequentialSource>) {
  const seen: Record<string, StreamPhase[]> = {};
  const discover: DiscoverProgress[] = [];
  const onProgress = (progress: RunProgress) => {
    for (const [name, info] of Object.entries(progress.phases ?? {})) {
      const list = (seen[name] ??= []);
      if (list[list.length - 1] !== info.phase) list.push(info.phase);
    }
  };
  const error = await pipeline({
    id: 'phases',
    source: { connector: source, config: {} },
    destination: { connector: lateCommitter, config: {} },
  })
    .run({ logger: silentLogger, onProgress, onDiscoverProgress: (p) => discover.push(p) })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { seen, error, discover };
}

describe('per-stream phases of a run', () => {
  it('moves each stream queued → reading → waiting for commit → done as the source moves on and the destination commits', async () => {
    const { seen, error, discover } = await phasesOf(sequentialSource());
    expect(error).toBeUndefined();
    for (const name of ['a', 'b', 'c']) expect(seen[name]).toEqual(['queued', 'reading', 'waiting-for-commit', 'done']);
    expect(discover.map((p) => `${p.done}/${p.total}`)).toEqual(['1/3', '2/3', '3/3']);
  });

  it('marks the stream an error names failed, the committed ones done and the rest stopped', async () => {
    const { seen, error } = await phasesOf(sequentialSource({ failOn: 'b' }));
    expect((error as Error).message).toContain('the table went away');
    expect(seen['a']?.at(-1)).toBe('done');
    expect(seen['b']?.at(-1)).toBe('failed');
    expect(seen['c']).toEqual(['queued', 'stopped']);
  });

  it('shows a LOG_BASED stream in its snapshot, then streaming changes once the snapshot is committed', async () => {
    const { seen, error } = await phasesOf(sequentialSource({ log: true }));
    expect(error).toBeUndefined();
    expect(seen['log']).toEqual(['queued', 'snapshot', 'waiting-for-commit', 'streaming', 'waiting-for-commit', 'done']);
  });
});
