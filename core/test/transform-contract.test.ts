import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  defineSource,
  defineTransform,
  getBookmark,
  loadTransformSteps,
  MemoryStateStore,
  pipeline,
  setBookmark,
  silentLogger,
  TransformError,
  type RecordData,
  type SourceMessage,
  type State,
} from '../src/index.js';
import { recordingDestination } from './recording-destination.js';

const SCHEMA = { properties: { id: { type: 'integer' }, email: { type: 'string' }, amount: { type: 'number' } } };

/** Two batches of orders with a STATE after each; the first batch carries native rows, as source-postgres sends them. */
function ordersSource(batches = 2) {
  return defineSource<Record<string, never>>({
    kind: 'source',
    name: 'orders',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    discover: async () => ({
      streams: [buildCatalogStream({ stream: 'orders', tapStreamId: 'public-orders', schema: SCHEMA, keyProperties: ['id'] })],
    }),
    async *read(_config, _catalog, state) {
      let current: State = state;
      const from = Number(getBookmark(state, 'public-orders').last_pk_fetched?.['id'] ?? 0);
      yield { type: 'SCHEMA', stream: 'orders', schema: SCHEMA, key_properties: ['id'] };
      yield { type: 'ACTIVATE_VERSION', stream: 'orders', version: 1 };
      for (let b = 0; b < batches; b++) {
        const records = [1, 2, 3].map((i) => ({ id: from + b * 3 + i, email: `u${from + b * 3 + i}@x.test`, amount: i * 1.5 }));
        yield {
          type: 'RECORD_BATCH',
          stream: 'orders',
          records,
          ...(b === 0
            ? {
                native: {
                  format: 'postgresql-copy-text' as const,
                  fields: ['id', 'email', 'amount'],
                  types: ['integer', 'text', 'numeric'],
                  data: Buffer.from(''),
                },
              }
            : {}),
        };
        current = setBookmark(current, 'public-orders', { last_pk_fetched: { id: from + b * 3 + 3 } });
        yield { type: 'STATE', value: current };
      }
    },
  });
}

describe('transforms in the runner', () => {
  it('changes the schema and records, keeps batches as batches, and passes STATE untouched and in order', async () => {
    const seen: SourceMessage[] = [];
    const mask = defineTransform<{ id: number; email: string; amount: number }, { id: number; email_domain: string; amount_cents: number }>(
      {
        schema: (input) => ({
          ...input,
          schema: {
            properties: { id: input.schema.properties!['id']!, email_domain: { type: 'string' }, amount_cents: { type: 'integer' } },
          },
        }),
        record: (r) => ({ id: r.id, email_domain: r.email.split('@')[1]!, amount_cents: Math.round(r.amount * 100) }),
      },
    );
    const summary = await pipeline({
      source: { connector: ordersSource(), config: {} },
      destination: { connector: recordingDestination(seen), config: {} },
      transforms: [{ transform: mask, name: 'mask', streams: ['public-orders'] }],
    }).run({ logger: silentLogger });

    expect(seen.map((m) => m.type)).toEqual(['SCHEMA', 'ACTIVATE_VERSION', 'RECORD_BATCH', 'STATE', 'RECORD_BATCH', 'STATE']);
    const schema = seen[0] as Extract<SourceMessage, { type: 'SCHEMA' }>;
    expect(Object.keys(schema.schema.properties ?? {})).toEqual(['id', 'email_domain', 'amount_cents']);
    expect(schema.key_properties).toEqual(['id']);
    const first = seen[2] as Extract<SourceMessage, { type: 'RECORD_BATCH' }>;
    expect(first.records[0]).toEqual({ id: 1, email_domain: 'x.test', amount_cents: 150 });
    // Changed records cannot keep the rows as the source database wrote them.
    expect(first.native).toBeUndefined();
    expect(getBookmark(summary.state, 'public-orders').last_pk_fetched).toEqual({ id: 6 });
  });

  it('splits a stream: records routed to two streams, ACTIVATE_VERSION sent to both', async () => {
    const seen: SourceMessage[] = [];
    const split = defineTransform<RecordData, RecordData>({
      // The first output declares email a string, yet sends null: checking would refuse it.
      validate: false,
      schema: (input) => [
        input,
        { stream: 'orders_pii', schema: { properties: { id: { type: 'integer' }, email: { type: 'string' } } }, key_properties: ['id'] },
      ],
      record: (r) => [
        { stream: 'orders', record: { ...r, email: null } },
        { stream: 'orders_pii', record: { id: r['id'], email: r['email'] } },
      ],
    });
    await pipeline({
      source: { connector: ordersSource(1), config: {} },
      destination: { connector: recordingDestination(seen), config: {} },
      transforms: [{ transform: split }],
    }).run({ logger: silentLogger });
    expect(seen.filter((m) => m.type === 'SCHEMA').map((m) => (m as { stream: string }).stream)).toEqual(['orders', 'orders_pii']);
    expect(seen.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => (m as { stream: string }).stream)).toEqual([
      'orders',
      'orders_pii',
    ]);
    const pii = seen.find((m) => m.type === 'RECORD_BATCH' && m.stream === 'orders_pii') as Extract<
      SourceMessage,
      { type: 'RECORD_BATCH' }
    >;
    expect(pii.records).toEqual([1, 2, 3].map((i) => ({ id: i, email: `u${i}@x.test` })));
  });

  it('a failing transform names itself, the stream and the record, and nothing past the last committed state is saved', async () => {
    const store = new MemoryStateStore();
    const seen: SourceMessage[] = [];
    const picky = defineTransform<RecordData, RecordData>({
      name: 'picky',
      record: (r) => {
        if (r['id'] === 5) throw new Error('no fives');
        return r;
      },
    });
    const run = pipeline({
      id: 'failing',
      source: { connector: ordersSource(), config: {} },
      destination: { connector: recordingDestination(seen), config: {} },
      stateStore: store,
      transforms: [{ transform: picky }],
    }).run({ logger: silentLogger });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransformError);
    expect((error as TransformError).message).toBe('transform picky: stream "orders", record id=5: no fives');
    expect((error as TransformError).transform).toBe('picky');
    const saved = await store.load('failing');
    expect(getBookmark(saved!, 'public-orders').last_pk_fetched).toEqual({ id: 3 });
    expect(seen.filter((m) => m.type === 'RECORD_BATCH')).toHaveLength(1);
  });

  it('a record that does not match the schema the transform declared is refused, naming the transform and field', async () => {
    const wrong = defineTransform({ name: 'wrong', record: (r) => ({ ...r, amount: 'lots' }) });
    const error = await pipeline({
      source: { connector: ordersSource(1), config: {} },
      destination: { connector: recordingDestination([]), config: {} },
      transforms: [{ transform: wrong }],
    })
      .run({ logger: silentLogger })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransformError);
    expect((error as Error).message).toMatch(/^transform wrong: stream "orders", record id=1, field "amount"/);
  });

  it('a transform that drops the key property without declaring another key is refused before any record', async () => {
    const noKey = defineTransform({
      name: 'nokey',
      schema: (input) => ({ ...input, schema: { properties: { email: { type: 'string' } } } }),
    });
    const error = await pipeline({
      source: { connector: ordersSource(1), config: {} },
      destination: { connector: recordingDestination([]), config: {} },
      transforms: [{ transform: noKey }],
    })
      .run({ logger: silentLogger })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'transform nokey: stream "orders", field "id": key property "id" is not a property of the schema it declares',
    );
  });

  it('an alias-only stream map keeps native rows (records unchanged) and the load options follow the new name', async () => {
    const seen: SourceMessage[] = [];
    const conflict: string[] = [];
    const destination = recordingDestination(seen, (message, ctx) => {
      if (message.type === 'SCHEMA') conflict.push(`${message.stream}:${ctx.streams[message.stream]?.conflictMethod ?? 'default'}`);
    });
    await pipeline({
      source: { connector: ordersSource(1), config: {} },
      destination: { connector: destination, config: {} },
      streams: { 'public-orders': { unique_conflict_method: 'IGNORE' } },
      transforms: [{ stream_maps: { 'public-orders': { __alias__: 'sales' } } }],
    }).run({ logger: silentLogger });
    expect(conflict).toEqual(['sales:ignore']);
    const batch = seen.find((m) => m.type === 'RECORD_BATCH') as Extract<SourceMessage, { type: 'RECORD_BATCH' }>;
    expect(batch.stream).toBe('sales');
    expect(batch.native).toBeDefined();
  });

  it('module steps: paths are relative to the pipeline file; a missing module or one exporting no transform is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transform-modules-'));
    try {
      writeFileSync(join(dir, 'upper.mjs'), 'export default (r) => ({ ...r, email: r.email.toUpperCase() });\n');
      writeFileSync(join(dir, 'nothing.mjs'), 'export const x = 1;\n');
      const [step] = await loadTransformSteps([{ module: './upper.mjs', streams: ['orders'] }], dir);
      expect(step).toMatchObject({ name: 'module ./upper.mjs', streams: ['orders'] });
      const seen: SourceMessage[] = [];
      await pipeline({
        source: { connector: ordersSource(1), config: {} },
        destination: { connector: recordingDestination(seen), config: {} },
        transforms: [step!],
      }).run({ logger: silentLogger });
      expect((seen.find((m) => m.type === 'RECORD_BATCH') as Extract<SourceMessage, { type: 'RECORD_BATCH' }>).records[0]).toMatchObject({
        email: 'U1@X.TEST',
      });
      await expect(loadTransformSteps([{ module: './missing.ts' }], dir)).rejects.toThrow(
        /^transform module \.\/missing\.ts does not exist/,
      );
      await expect(loadTransformSteps([{ module: 'nothing.mjs' }], dir)).rejects.toThrow(
        'transform module nothing.mjs exports no transform',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
