import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  batchPolicy,
  defineDestination,
  type CommitReason,
  defineSource,
  DestinationClient,
  runPipeline,
  MageError,
  silentLogger,
  stringifyExactJson,
  writeWithSession,
  type DestinationSession,
  type Logger,
  type SessionControl,
  type SourceMessage,
  type StateMessage,
  type StreamInfo,
  type WriteContext,
} from '../src/index.js';
import { base16Digits, columnType, standardMerge, ansiQuoteIdentifier, ansiQuoteLiteral, decodeBase16 } from '../src/sql/index.js';

/** A destination session that keeps rows in memory: `committed` is what a reader would see. */
class MemorySession implements DestinationSession {
  readonly events: string[] = [];
  readonly committed: Record<string, unknown>[] = [];
  readonly opened: StreamInfo[] = [];
  private uncommitted: Record<string, unknown>[] = [];
  constructor(
    private readonly control: SessionControl,
    private readonly commitEvery?: number,
  ) {}
  async openStream(stream: StreamInfo): Promise<void> {
    this.opened.push(stream);
    this.events.push(`open ${stream.name} ${stream.conflictMethod}`);
  }
  async write(batch: { stream: string; records: Record<string, unknown>[] }): Promise<void> {
    for (const record of batch.records) {
      this.uncommitted.push(record);
      // A session that needs a commit point mid-batch (as when a column must widen).
      if (this.commitEvery && this.uncommitted.length === this.commitEvery) await this.control.commit();
    }
    this.events.push(`write ${batch.records.length}`);
  }
  uncommittedBytes(): number {
    return stringifyExactJson(this.uncommitted).length;
  }
  async activateVersion(stream: string, version: number): Promise<void> {
    this.events.push(`activate ${stream} ${version}`);
  }
  async commit(): Promise<void> {
    this.committed.push(...this.uncommitted);
    this.uncommitted = [];
    this.events.push('commit');
  }
  async close(failed: boolean): Promise<void> {
    this.events.push(failed ? 'close failed' : 'close');
  }
}

const schema: SourceMessage = {
  type: 'SCHEMA',
  stream: 'items',
  key_properties: ['id'],
  schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
};
const record = (id: number): SourceMessage => ({ type: 'RECORD', stream: 'items', record: { id, name: `n${id}` } });
const state = (n: number): StateMessage => ({ type: 'STATE', value: { n } });

function context(overrides: Partial<WriteContext> = {}): WriteContext {
  return { logger: silentLogger, signal: new AbortController().signal, streams: {}, ...overrides };
}

async function* from(messages: SourceMessage[]): AsyncGenerator<SourceMessage> {
  yield* messages;
}

/** Runs the writer; returns the session and each released state with the rows committed when it came out. */
async function run(messages: AsyncIterable<SourceMessage>, config: Record<string, unknown> = {}, ctx = context(), commitEvery?: number) {
  let session: MemorySession | undefined;
  const released: { value: unknown; committedRows: number }[] = [];
  for await (const s of writeWithSession(config, messages, ctx, async (control) => (session = new MemorySession(control, commitEvery)))) {
    released.push({ value: s.value, committedRows: session?.committed.length ?? 0 });
  }
  return { session: session as MemorySession, released };
}

describe('batching writer', () => {
  it('releases each STATE only after the commit covering the records before it', async () => {
    const { session, released } = await run(from([schema, record(1), record(2), state(1), record(3), state(2)]), { batch_size_rows: 2 });
    expect(released).toEqual([
      { value: { n: 1 }, committedRows: 2 },
      { value: { n: 2 }, committedRows: 3 },
    ]);
    expect(session.events).toEqual(['open items upsert', 'write 1', 'write 1', 'commit', 'write 1', 'commit', 'close']);
  });

  it('yields a STATE at once when nothing is uncommitted', async () => {
    const { session, released } = await run(from([state(0), schema, state(1)]));
    expect(released.map((r) => r.value)).toEqual([{ n: 0 }, { n: 1 }]);
    expect(session.events).not.toContain('commit');
  });

  it('commits by bytes when the session reports its size', async () => {
    const { released } = await run(from([schema, record(1), state(1), record(2), state(2)]), {
      batch_size_rows: 1000,
      batch_size_bytes: 10,
    });
    expect(released.map((r) => r.committedRows)).toEqual([1, 2]);
  });

  it('commits by age on a timer while the input is idle, and follow mode maxLagSeconds shortens the age', async () => {
    for (const [config, ctx] of [
      [{ batch_max_age_seconds: 0.05 }, context()],
      [{ batch_max_age_seconds: 60 }, context({ maxLagSeconds: 0.05 })],
      [{ batch_max_age_seconds: 0 }, context({ maxLagSeconds: 0.05 })],
    ] as const) {
      let release!: () => void;
      const idle = new Promise<void>((resolve) => (release = resolve));
      async function* input(): AsyncGenerator<SourceMessage> {
        yield schema;
        yield record(1);
        yield state(1);
        await idle; // the source is quiet: no message arrives to trigger a flush
        yield record(2);
      }
      const started = Date.now();
      let session: MemorySession | undefined;
      const writer = writeWithSession(config, input(), ctx, async (control) => (session = new MemorySession(control)));
      const first = await writer.next();
      expect(first.value).toEqual({ type: 'STATE', value: { n: 1 } });
      expect(session?.committed).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5000);
      release();
      for await (const _ of writer) void _;
      expect(session?.committed).toHaveLength(2);
    }
  });

  it('takes maxLagSeconds over a longer age limit and keeps the shorter one', () => {
    expect(batchPolicy({ batch_max_age_seconds: 60 }, { maxLagSeconds: 1 }).maxAgeMs).toBe(1000);
    expect(batchPolicy({ batch_max_age_seconds: 0.5 }, { maxLagSeconds: 1 }).maxAgeMs).toBe(500);
    expect(batchPolicy({ batch_max_age_seconds: 0 }).maxAgeMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('commits before a changed SCHEMA, passes over an identical one, and opens keyless streams as append', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
    const changed: SourceMessage = {
      ...schema,
      schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, extra: { type: 'string' } } },
    } as SourceMessage;
    const keyless: SourceMessage = {
      type: 'SCHEMA',
      stream: 'log',
      key_properties: [],
      schema: { type: 'object', properties: { line: { type: 'string' } } },
    };
    const { session } = await run(
      from([schema, record(1), schema, record(2), changed, record(3), keyless]),
      {},
      context({ logger, streams: { log: { conflictMethod: 'upsert' } } }),
    );
    expect(session.events).toEqual([
      'open items upsert',
      'write 1',
      'write 1',
      'commit',
      'open items upsert',
      'write 1',
      'commit',
      'open log append',
      'close',
    ]);
    expect(warnings.join('\n')).toMatch(/"log" has no key properties: its records are appended/);
  });

  it('runs ACTIVATE_VERSION through the session and commits right after', async () => {
    const { session } = await run(from([schema, record(1), { type: 'ACTIVATE_VERSION', stream: 'items', version: 3 }, record(2)]));
    expect(session.events).toEqual(['open items upsert', 'write 1', 'activate items 3', 'commit', 'write 1', 'commit', 'close']);
  });

  it('tells the session why it commits, and commits a session holding deferred work at the end with nothing written', async () => {
    const reasons: (string | undefined)[] = [];
    let deferred = true;
    class DeferringSession extends MemorySession {
      override async commit(reason?: CommitReason): Promise<void> {
        reasons.push(reason);
        if (reason === 'end') deferred = false;
        await super.commit();
      }
      hasDeferredWork(): boolean {
        return deferred;
      }
    }
    const second: SourceMessage = { ...schema, stream: 'other' };
    const input = from([schema, record(1), record(2), second, record(3), record(4)]);
    for await (const _ of writeWithSession({ batch_size_rows: 2 }, input, context(), async (control) => new DeferringSession(control)))
      void _;
    // With deferred work held, even the commits before each SCHEMA and at the end reach the session when nothing
    // was written since the last one (the last records filled a batch: a size commit).
    expect(reasons).toEqual(['schema', 'size', 'schema', 'size', 'end']);
  });

  it('keeps a STATE back after a commit the session asks for mid-batch until the rest is committed', async () => {
    const batch: SourceMessage = { type: 'RECORD_BATCH', stream: 'items', records: [1, 2, 3].map((id) => ({ id, name: 'x' })) };
    const { released } = await run(from([schema, record(0), state(1), batch, state(2), record(9)]), {}, context(), 2);
    // state 1 covers record 0, committed with the session's own commit; state 2 waits for records 2 and 3.
    expect(released).toEqual([
      { value: { n: 1 }, committedRows: 2 },
      { value: { n: 2 }, committedRows: 5 },
    ]);
  });

  it('refuses a SCHEMA whose key is not among its properties and a RECORD before its SCHEMA', async () => {
    const badKey: SourceMessage = {
      type: 'SCHEMA',
      stream: 'items',
      key_properties: ['nope'],
      schema: { type: 'object', properties: { id: { type: 'integer' } } },
    };
    await expect(run(from([badKey]))).rejects.toMatchObject({ code: 'KEY_NOT_IN_SCHEMA', field: 'nope', stream: 'items' });
    await expect(run(from([record(1)]))).rejects.toMatchObject({ code: 'RECORD_BEFORE_SCHEMA' });
  });

  it('closes the session as failed and stops the source when loading fails', async () => {
    let returned = false;
    async function* input(): AsyncGenerator<SourceMessage> {
      try {
        yield schema;
        yield record(1);
        yield { type: 'SCHEMA', stream: 'items', key_properties: ['x'], schema: { type: 'object', properties: {} } };
        yield record(2);
      } finally {
        returned = true;
      }
    }
    let session: MemorySession | undefined;
    const writer = writeWithSession({}, input(), context(), async (control) => (session = new MemorySession(control)));
    await expect(
      (async () => {
        for await (const _ of writer) void _;
      })(),
    ).rejects.toBeInstanceOf(MageError);
    expect(session?.events.at(-1)).toBe('close failed');
    expect(session?.committed).toHaveLength(0); // the bad SCHEMA is refused before anything commits
    expect(returned).toBe(true);
  });
});

describe('BATCH messages', () => {
  const inTemp = mkdtempSync(join(tmpdir(), 'kit-batch-'));
  const elsewhere = mkdtempSync(join(process.cwd(), '.kit-batch-'));
  afterAll(() => {
    rmSync(inTemp, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
  const lines = '{"id": 1, "name": "a"}\n{"id": 12345678901234567890, "name": "b"}\n';
  writeFileSync(join(inTemp, 'part-1.jsonl'), lines);
  writeFileSync(join(elsewhere, 'part-1.jsonl'), lines);
  symlinkSync(join(elsewhere, 'part-1.jsonl'), join(inTemp, 'link.jsonl'));
  const batch = (entry: string): SourceMessage => ({
    type: 'BATCH',
    stream: 'items',
    encoding: { format: 'jsonl', compression: 'none' },
    manifest: [entry],
  });

  it('loads the records of files under the system temp dir by default, numbers exact', async () => {
    const { session } = await run(from([schema, batch(pathToFileURL(join(inTemp, 'part-1.jsonl')).href)]));
    expect(session.committed.map((r) => r['id'])).toEqual([1, 12345678901234567890n]);
  });

  it('refuses files outside the allowed directory, paths that are not file:// URLs, and links that lead out', async () => {
    for (const entry of [
      pathToFileURL(join(elsewhere, 'part-1.jsonl')).href,
      join(inTemp, 'part-1.jsonl'),
      's3://bucket/part-1.jsonl',
      pathToFileURL(join(inTemp, 'link.jsonl')).href,
      pathToFileURL('/etc/passwd').href,
    ]) {
      const failure = await run(from([schema, batch(entry)])).catch((e: unknown) => e);
      expect(failure, entry).toMatchObject({ code: 'BATCH_LOCATION_REFUSED', stream: 'items' });
      expect((failure as MageError).hint).toMatch(/batch_dir/);
    }
  });

  it('reads from batch_dir when the config names it, and then only from there', async () => {
    const { session } = await run(from([schema, batch(pathToFileURL(join(elsewhere, 'part-1.jsonl')).href)]), { batch_dir: elsewhere });
    expect(session.committed).toHaveLength(2);
    await expect(
      run(from([schema, batch(pathToFileURL(join(inTemp, 'part-1.jsonl')).href)]), { batch_dir: elsewhere }),
    ).rejects.toMatchObject({ code: 'BATCH_LOCATION_REFUSED' });
  });

  it('checks BATCH records against their schema', async () => {
    writeFileSync(join(inTemp, 'bad.jsonl'), '{"id": "not a number", "name": "a"}\n');
    await expect(run(from([schema, batch(pathToFileURL(join(inTemp, 'bad.jsonl')).href)]))).rejects.toMatchObject({
      code: expect.stringMatching(/RECORD|SCHEMA/),
      stream: 'items',
      field: 'id',
    });
  });
});

describe('DestinationClient', () => {
  const loaded: unknown[] = [];
  const destination = defineDestination<{ batch_size_rows?: number; flush_rows?: number }>({
    kind: 'destination',
    name: 'memory',
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        batch_size_rows: { type: 'integer', default: 10 },
        flush_rows: { type: 'integer', deprecated: true, 'x-alias-of': 'batch_size_rows' },
      },
    },
    check: async () => ({ ok: true }),
    write: (config, messages, ctx) =>
      writeWithSession(config, messages, ctx, async (control) => {
        const session = new MemorySession(control);
        const commit = session.commit.bind(session);
        session.commit = async () => {
          await commit();
          loaded.splice(0, loaded.length, ...session.committed);
        };
        return session;
      }),
  });

  it('moves a deprecated setting to its new name with a warning, and loads with the rules of the runner', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
    const client = new DestinationClient(destination, { config: { flush_rows: 1 }, logger });
    expect(client.config).toEqual({ batch_size_rows: 1 });
    expect(warnings).toEqual(['destination memory: setting "flush_rows" is deprecated, use "batch_size_rows"']);
    expect(await client.load([schema, record(1), state(1), record(2)])).toEqual([{ n: 1 }]);
    expect(loaded).toHaveLength(2);
    await expect(client.load([schema, { type: 'RECORD', stream: 'items', record: { id: 'x', name: 'a' } }])).rejects.toMatchObject({
      stream: 'items',
      field: 'id',
    });
  });
});

describe('deprecated setting names', () => {
  it('are moved by the runner with a warning in its log', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
    const source = defineSource<Record<string, never>>({
      kind: 'source',
      name: 'one',
      spec: { type: 'object' },
      check: async () => ({ ok: true }),
      discover: async () => ({
        streams: [
          {
            tap_stream_id: 'items',
            stream: 'items',
            schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
            metadata: [{ breadcrumb: [], metadata: { selected: true, 'table-key-properties': ['id'] } }],
          },
        ],
      }),
      async *read() {
        yield schema;
        yield record(1);
        yield state(1);
      },
    });
    let rows = 0;
    const destination = defineDestination<{ batch_size_rows?: number; flush_rows?: number }>({
      kind: 'destination',
      name: 'memory',
      spec: {
        type: 'object',
        additionalProperties: false,
        properties: {
          batch_size_rows: { type: 'integer' },
          flush_rows: { type: 'integer', deprecated: true, 'x-alias-of': 'batch_size_rows' },
        },
      },
      check: async () => ({ ok: true }),
      write: (config, messages, ctx) => {
        rows = config.batch_size_rows ?? 0;
        return writeWithSession(config, messages, ctx, async (control) => new MemorySession(control));
      },
    });
    await runPipeline({ pipelineId: 'aliases', source, sourceConfig: {}, destination, destinationConfig: { flush_rows: 7 }, logger });
    expect(rows).toBe(7);
    expect(warnings).toContain('destination memory: setting "flush_rows" is deprecated, use "batch_size_rows"');
  });
});

describe('SQL kit helpers', () => {
  it('keeps base16 strings as text unless interpret_content_encoding is on', () => {
    const hex = { type: ['null', 'string'], contentEncoding: 'base16' };
    expect(columnType(hex, { interpretContentEncoding: false }).logical).toBe('string');
    expect(columnType(hex, { interpretContentEncoding: true })).toMatchObject({ logical: 'binary', contentEncoding: 'base16' });
    expect(columnType({ type: 'string', contentEncoding: 'base64' }, { interpretContentEncoding: false }).logical).toBe('binary');
    // A source that says the column is bytes (source-postgres's bytea) keeps them bytes.
    expect(columnType({ ...hex, 'sql-datatype': 'bytea' }, { interpretContentEncoding: false }).logical).toBe('binary');
    expect(columnType({ ...hex, 'sql-datatype': 'character varying(20)' }, { interpretContentEncoding: false }).logical).toBe('string');
  });

  it('decodes hex with an optional 0x prefix and the empty string, and nothing else', () => {
    expect(decodeBase16('0xA1B2')).toEqual(Buffer.from([0xa1, 0xb2]));
    expect(decodeBase16('0x')).toEqual(Buffer.alloc(0));
    expect(decodeBase16('')).toEqual(Buffer.alloc(0));
    expect(decodeBase16('deadBEEF')?.toString('hex')).toBe('deadbeef');
    for (const bad of ['0xA1B', 'zz', '0xg0', 'A1 B2']) expect(base16Digits(bad), bad).toBeUndefined();
  });

  it('quotes identifiers and literals the ANSI way', () => {
    expect(ansiQuoteIdentifier('a"b')).toBe('"a""b"');
    expect(ansiQuoteLiteral("it's")).toBe("'it''s'");
    expect(() => ansiQuoteLiteral('a\0b')).toThrow(/NUL/);
  });

  it('writes one MERGE per conflict rule, and an INSERT for append', () => {
    const dialect = {
      qualify: (t: { schema: string; name: string }) => `${ansiQuoteIdentifier(t.schema)}.${ansiQuoteIdentifier(t.name)}`,
      quoteIdentifier: ansiQuoteIdentifier,
    };
    const plan = {
      target: { schema: 's', name: 't' },
      staging: { schema: 's', name: 'stg' },
      columns: ['id', 'v'],
      keys: ['id'],
      uniqueKey: false,
      hardDelete: false,
    };
    expect(standardMerge(dialect, { ...plan, method: 'append' })[0]).toMatch(/^INSERT INTO "s"."t" \("id", "v"\) SELECT/);
    const upsert = standardMerge(dialect, { ...plan, method: 'upsert' })[0] ?? '';
    expect(upsert).toMatch(/WHEN MATCHED THEN UPDATE SET "v" = s."v"/);
    expect(upsert).toMatch(/WHEN NOT MATCHED THEN INSERT/);
    expect(standardMerge(dialect, { ...plan, method: 'ignore' })[0]).not.toMatch(/UPDATE/);
    expect(standardMerge(dialect, { ...plan, method: 'update_only' })[0]).not.toMatch(/INSERT/);
    expect(standardMerge(dialect, { ...plan, method: 'upsert', hardDelete: true })[0]).toMatch(
      /WHEN MATCHED AND s."_mage_deleted" IS NOT NULL THEN DELETE/,
    );
  });
});
