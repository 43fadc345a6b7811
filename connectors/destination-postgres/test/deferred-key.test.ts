import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger, type RecordData, type SourceMessage } from '@mage-int/core';
import destination from '../src/index.js';
import { baseConfig, createDatabase, load, query } from './helpers.js';

let database: { name: string; drop: () => Promise<void> };
beforeAll(async () => {
  database = await createDatabase('dpg_deferred_key');
});
afterAll(async () => {
  await database?.drop();
});

let schemaCounter = 0;
function freshConfig(extra: Parameters<typeof baseConfig>[2] = {}) {
  return baseConfig(database.name, `k${++schemaCounter}`, extra);
}

const ID_TEXT = { id: { type: 'integer', 'sql-datatype': 'bigint' }, v: { type: ['null', 'string'], 'sql-datatype': 'text' } };

function schema(stream = 'items', properties: Record<string, unknown> = ID_TEXT, keys = ['id']): SourceMessage {
  return { type: 'SCHEMA', stream, schema: { type: 'object', properties: properties as never }, key_properties: keys };
}

function batch(ids: number[], v: (id: number) => string, stream = 'items'): SourceMessage {
  return { type: 'RECORD_BATCH', stream, records: ids.map((id) => ({ id, v: v(id) })) };
}

/** The same rows as PostgreSQL COPY text (native rows, as source-postgres sends them). */
function nativeBatch(ids: number[], v: (id: number) => string): SourceMessage {
  const records: RecordData[] = ids.map((id) => ({ id, v: v(id) }));
  const data = Buffer.from(records.map((r) => `${r['id'] as number}\t${r['v'] as string}\n`).join(''));
  return {
    type: 'RECORD_BATCH',
    stream: 'items',
    records,
    native: { format: 'postgresql-copy-text', fields: ['id', 'v'], types: ['bigint', 'text'], data },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const state = (position: number): SourceMessage => ({ type: 'STATE', value: { position } });

/** What the table's catalog says: its primary key columns, and whether the pending-key mark is there. */
async function keyOf(schemaName: string | undefined, table = 'items'): Promise<{ primaryKey: string[] | null; pending: boolean }> {
  const [row] = await query<{ primary_key: string[] | null; pending: boolean }>(
    database.name,
    `SELECT (SELECT array(SELECT a.attname::text FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k)
               FROM pg_constraint c WHERE c.conrelid = to_regclass($1) AND c.contype = 'p') AS primary_key,
            EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = 'mage_int_primary_key_pending') AS pending`,
    [`"${schemaName}"."${table}"`],
  );
  return { primaryKey: row?.primary_key ?? null, pending: row?.pending ?? false };
}

async function rowsOf(schemaName: string | undefined): Promise<{ id: number; v: string }[]> {
  return query(database.name, `SELECT id::int AS id, v FROM "${schemaName}".items ORDER BY id`);
}

function capture(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), text: () => lines.join('\n') };
}

async function write(config: ReturnType<typeof freshConfig>, messages: SourceMessage[], logger?: Logger): Promise<void> {
  const ctx = { logger: logger ?? capture().logger, signal: new AbortController().signal, streams: {} };
  for await (const _ of destination.write(
    config,
    (async function* () {
      yield* messages;
    })(),
    ctx,
  ))
    void _;
}

/** Writes `messages`, then fails as a crash would (whatever was committed stays, the open transaction is lost). */
async function crashAfter(config: ReturnType<typeof freshConfig>, messages: SourceMessage[]): Promise<void> {
  const input = (async function* (): AsyncGenerator<SourceMessage> {
    yield* messages;
    throw new Error('injected crash');
  })();
  for await (const _ of destination.write(config, input, { logger: capture().logger, signal: new AbortController().signal, streams: {} }))
    void _;
}

describe('primary key built after the first load (defer_primary_key)', () => {
  it('loads a new table without its key while keys rise, and has the key when the run ends', async () => {
    const config = freshConfig({ batch_size_rows: 100 });
    const seen: { primaryKey: string[] | null; pending: boolean }[] = [];
    const messages = [
      schema(),
      batch(range(1, 150), (id) => `r${id}`),
      state(150),
      nativeBatch(range(151, 300), (id) => `n${id}`),
      state(300),
    ];
    const log = capture();
    const ctx = { logger: log.logger, signal: new AbortController().signal, streams: {} };
    for await (const _ of destination.write(
      config,
      (async function* () {
        yield* messages;
      })(),
      ctx,
    ))
      seen.push(await keyOf(config.schema));
    // Committed mid-run (batch_size_rows), the table has no key yet and says why; at the end it has it.
    expect(seen).toEqual([
      { primaryKey: null, pending: true },
      { primaryKey: null, pending: true },
    ]);
    expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
    expect(log.text()).toContain('built the primary key of "k1"."items" (the input ended)');
    expect(log.text()).toContain("loading the source database's COPY text as it is");
    const rows = await rowsOf(config.schema);
    expect(rows).toHaveLength(300);
    expect(rows[149]).toEqual({ id: 150, v: 'r150' });
    expect(rows[299]).toEqual({ id: 300, v: 'n300' });
  });

  it('keeps deferring past the ACTIVATE_VERSION a full-table sync starts with (source-mysql, source-postgres)', async () => {
    const config = freshConfig({ batch_size_rows: 100 });
    const versioned = (ids: number[]): SourceMessage => ({ ...(batch(ids, (id) => `v${id}`) as object), version: 7 }) as SourceMessage;
    const seen: boolean[] = [];
    const log = capture();
    const messages: SourceMessage[] = [
      schema(),
      { type: 'ACTIVATE_VERSION', stream: 'items', version: 7 },
      versioned(range(1, 150)),
      state(150),
      versioned(range(151, 200)),
      { type: 'ACTIVATE_VERSION', stream: 'items', version: 7 },
    ];
    for await (const _ of destination.write(
      config,
      (async function* () {
        yield* messages;
      })(),
      { logger: log.logger, signal: new AbortController().signal, streams: {} },
    ))
      seen.push((await keyOf(config.schema)).pending);
    expect(seen).toEqual([true]);
    expect(log.text()).toContain('(ACTIVATE_VERSION)');
    expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
    expect(await rowsOf(config.schema)).toHaveLength(200);
  });

  it('builds the key in follow mode once the input goes quiet (a commit for age), not only at the end', async () => {
    const config = freshConfig();
    let releaseInput: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      releaseInput = resolve;
    });
    const input = (async function* (): AsyncGenerator<SourceMessage> {
      yield schema();
      yield batch(range(1, 100), (id) => `v${id}`);
      yield state(100);
      await gate;
      yield batch([101], () => 'later');
    })();
    const seen: { primaryKey: string[] | null; pending: boolean }[] = [];
    const ctx = { logger: capture().logger, signal: new AbortController().signal, streams: {}, maxLagSeconds: 0.2 };
    for await (const _ of destination.write(config, input, ctx)) {
      seen.push(await keyOf(config.schema));
      releaseInput();
    }
    expect(seen).toEqual([{ primaryKey: ['id'], pending: false }]);
    expect(await rowsOf(config.schema)).toHaveLength(101);
  });

  it('creates the key with the table when defer_primary_key is false', async () => {
    const config = freshConfig({ batch_size_rows: 100, defer_primary_key: false });
    const seen: { primaryKey: string[] | null; pending: boolean }[] = [];
    await load(
      config,
      [schema(), batch(range(1, 150), (id) => `r${id}`), state(150), batch(range(151, 200), (id) => `r${id}`)],
      {},
      async () => {
        seen.push(await keyOf(config.schema));
      },
    );
    expect(seen[0]).toEqual({ primaryKey: ['id'], pending: false });
    expect(await rowsOf(config.schema)).toHaveLength(200);
  });

  it('builds the key at the first key that does not rise, then upserts (records and native rows)', async () => {
    for (const make of [batch, nativeBatch]) {
      const config = freshConfig();
      const log = capture();
      await write(
        config,
        [
          schema(),
          make(range(1, 50), (id) => `first ${id}`),
          // 10 repeats an earlier key, 60 is new: the batch goes through the keyed path.
          make([60, 10], (id) => `second ${id}`),
          make([61, 5, 62], (id) => `third ${id}`),
        ],
        log.logger,
      );
      expect(log.text()).toContain('a key did not rise');
      expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
      const rows = await rowsOf(config.schema);
      expect(rows).toHaveLength(53);
      expect(rows.find((r) => r.id === 10)).toEqual({ id: 10, v: 'second 10' });
      expect(rows.find((r) => r.id === 5)).toEqual({ id: 5, v: 'third 5' });
      expect(rows.find((r) => r.id === 62)).toEqual({ id: 62, v: 'third 62' });
      expect(rows.find((r) => r.id === 4)).toEqual({ id: 4, v: 'first 4' });
    }
  });

  it('builds the key before a key repeats within one batch', async () => {
    const config = freshConfig();
    await write(config, [schema(), batch([1, 2, 3, 2], (id) => `v${id}`)]);
    expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
    expect(await rowsOf(config.schema)).toEqual([
      { id: 1, v: 'v1' },
      { id: 2, v: 'v2' },
      { id: 3, v: 'v3' },
    ]);
  });

  it('builds the key before a hard delete by key, and the delete applies', async () => {
    const config = freshConfig({ hard_delete: true });
    await write(config, [
      schema('items', { ...ID_TEXT, _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' } }),
      batch(range(1, 20), (id) => `v${id}`),
      { type: 'RECORD', stream: 'items', record: { id: 21, v: 'gone', _sdc_deleted_at: '2024-01-01T00:00:00Z' } },
      { type: 'RECORD', stream: 'items', record: { id: 7, v: 'gone', _sdc_deleted_at: '2024-01-01T00:00:00Z' } },
    ]);
    expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
    const ids = (await rowsOf(config.schema)).map((r) => r.id);
    expect(ids).toEqual(range(1, 20).filter((id) => id !== 7));
  });

  it('defers text keys too, and not keys it cannot check (several columns, a typed varchar)', async () => {
    const text = freshConfig({ batch_size_rows: 2 });
    const seen: boolean[] = [];
    await load(
      text,
      [
        schema('items', { id: { type: 'string' }, v: { type: 'string' } }),
        { type: 'RECORD_BATCH', stream: 'items', records: ['a', 'b', 'c'].map((id) => ({ id, v: id })) },
        state(1),
      ],
      {},
      async () => {
        seen.push((await keyOf(text.schema)).pending);
      },
    );
    expect(seen[0]).toBe(true);
    expect(await keyOf(text.schema)).toEqual({ primaryKey: ['id'], pending: false });

    const compound = freshConfig({ batch_size_rows: 2 });
    const pairs: SourceMessage[] = [
      schema('items', { id: { type: 'integer' }, v: { type: 'string' } }, ['id', 'v']),
      {
        type: 'RECORD_BATCH',
        stream: 'items',
        records: [
          { id: 1, v: 'x' },
          { id: 1, v: 'y' },
          { id: 2, v: 'x' },
        ],
      },
      state(1),
    ];
    const compoundSeen: { primaryKey: string[] | null; pending: boolean }[] = [];
    await load(compound, pairs, {}, async () => {
      compoundSeen.push(await keyOf(compound.schema));
    });
    expect(compoundSeen[0]).toEqual({ primaryKey: ['id', 'v'], pending: false });

    const varchar = freshConfig({ batch_size_rows: 2 });
    const varcharSeen: boolean[] = [];
    await load(
      varchar,
      [
        schema('items', { id: { type: 'string', 'sql-datatype': 'character varying(8)' }, v: { type: 'string' } }),
        { type: 'RECORD_BATCH', stream: 'items', records: ['a', 'b', 'c'].map((id) => ({ id, v: id })) },
        state(1),
      ],
      {},
      async () => {
        varcharSeen.push((await keyOf(varchar.schema)).pending);
      },
    );
    expect(varcharSeen[0]).toBe(false);
  });

  it('after a run that stopped before building the key, the next run builds it first and ends with exact rows', async () => {
    const config = freshConfig({ batch_size_rows: 100 });
    // The first run fails after two commits (an injected crash): its committed rows stay, without the key.
    let released = 0;
    const failing = (async function* (): AsyncGenerator<SourceMessage> {
      yield schema();
      for (let start = 1; start <= 500; start += 50) {
        yield batch(range(start, start + 49), (id) => `first ${id}`);
        yield state(start + 49);
        if (released >= 2) throw new Error('injected crash');
      }
    })();
    const states: unknown[] = [];
    await expect(
      (async () => {
        for await (const s of destination.write(config, failing, {
          logger: capture().logger,
          signal: new AbortController().signal,
          streams: {},
        })) {
          states.push(s.value);
          released++;
        }
      })(),
    ).rejects.toThrow('injected crash');
    expect(await keyOf(config.schema)).toEqual({ primaryKey: null, pending: true });
    const committed = (await rowsOf(config.schema)).length;
    const last = (states.at(-1) as { position: number }).position;
    expect(committed).toBeGreaterThanOrEqual(last);

    // The resumed run sends everything after the last released state again (some of it committed already), then
    // updates of earlier keys.
    const log = capture();
    await write(config, [schema(), batch(range(last + 1, 500), (id) => `second ${id}`), batch([3, 1], (id) => `update ${id}`)], log.logger);
    expect(log.text()).toContain('an earlier run stopped before building it');
    expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
    const rows = await rowsOf(config.schema);
    expect(rows.map((r) => r.id)).toEqual(range(1, 500));
    expect(rows[0]).toEqual({ id: 1, v: 'update 1' });
    expect(rows[2]).toEqual({ id: 3, v: 'update 3' });
    expect(rows[last]).toEqual({ id: last + 1, v: `second ${last + 1}` });
    expect(rows[last - 1]).toEqual({ id: last, v: `first ${last}` });
  });

  it('two runs loading one new table at once (key ranges over workers): the second builds the key, the first finds it', async () => {
    const config = freshConfig({ batch_size_rows: 50 });
    let resume: () => void = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let committed: () => void = () => {};
    const firstCommitted = new Promise<void>((resolve) => {
      committed = resolve;
    });
    const firstLog = capture();
    // The first run creates the table and loads the lower range, then waits (its rows committed, the key deferred).
    const first = (async () => {
      const input = (async function* (): AsyncGenerator<SourceMessage> {
        yield schema();
        yield batch(range(1, 50), (id) => `low ${id}`);
        yield state(50);
        yield batch(range(51, 60), (id) => `low ${id}`);
        committed();
        await paused;
        yield batch(range(61, 100), (id) => `low ${id}`);
      })();
      for await (const _ of destination.write(config, input, {
        logger: firstLog.logger,
        signal: new AbortController().signal,
        streams: {},
      }))
        void _;
    })();
    await firstCommitted;
    expect(await keyOf(config.schema)).toEqual({ primaryKey: null, pending: true });
    // The second run loads the upper range meanwhile: the table it finds waits for its key, which it builds first.
    const secondLog = capture();
    const second = write(config, [schema(), batch(range(101, 200), (id) => `high ${id}`)], secondLog.logger);
    // Its ALTER TABLE has run, or waits for the lock of the first run's open transaction (when that sent rows).
    for (let along = false; !along; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [row] = await query<{ n: number }>(
        database.name,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%ADD PRIMARY KEY%'`,
      );
      along = (row?.n ?? 0) > 0 || (await keyOf(config.schema)).primaryKey !== null;
    }
    resume();
    await Promise.all([first, second]);
    expect(secondLog.text()).toContain('an earlier run stopped before building it');
    expect(firstLog.text()).toContain('built by another run');
    expect(await keyOf(config.schema)).toEqual({ primaryKey: ['id'], pending: false });
    expect((await rowsOf(config.schema)).map((r) => r.id)).toEqual([...range(1, 100), ...range(101, 200)]);
  });

  it('names the table and the way out when the key cannot be built (rows sharing a key)', async () => {
    const config = freshConfig({ batch_size_rows: 10 });
    await expect(crashAfter(config, [schema(), batch(range(1, 10), (id) => `v${id}`), state(10)])).rejects.toThrow('injected crash');
    // Someone copies a duplicate into the keyless table between runs.
    await query(database.name, `INSERT INTO "${config.schema}".items (id, v) VALUES (3, 'duplicate')`);
    await expect(write(config, [schema(), batch([11], () => 'x')])).rejects.toMatchObject({
      code: 'PRIMARY_KEY_FAILED',
      message: expect.stringContaining('could not create unique index'),
      hint: expect.stringContaining('drop its constraint mage_int_primary_key_pending'),
    });
  });
});
