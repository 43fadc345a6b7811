import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, silentLogger, type Logger, type SourceMessage, type StateMessage, type WriteContext } from '@mage-int/core';
import destination, { Jsonl, type JsonlConfig } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'destination-jsonl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `out-${++dirs}`);

const schema = (stream: string): SourceMessage => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties: { id: { type: 'integer' } } },
  key_properties: ['id'],
});
const state = (n: number): StateMessage => ({ type: 'STATE', value: { bookmarks: { s: { n } } } });

function context(logger: Logger = silentLogger, streams: WriteContext['streams'] = {}): WriteContext {
  return { logger, signal: new AbortController().signal, streams };
}

async function* from(messages: SourceMessage[]): AsyncGenerator<SourceMessage> {
  yield* messages;
}

async function write(
  config: JsonlConfig,
  messages: SourceMessage[] | AsyncIterable<SourceMessage>,
  ctx = context(),
): Promise<StateMessage[]> {
  const out: StateMessage[] = [];
  for await (const s of destination.write(config, Array.isArray(messages) ? from(messages) : messages, ctx)) out.push(s);
  return out;
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('destination-jsonl', () => {
  it('writes records as exact JSON: big integers and decimals keep every digit', async () => {
    const dir = freshDir();
    await write({ destination_path: dir }, [
      schema('numbers'),
      {
        type: 'RECORD_BATCH',
        stream: 'numbers',
        records: [
          {
            id: 1,
            big: 9223372036854775809n,
            price: new Decimal('12345678901234567890.123456789'),
            cents: new Decimal('5.00'),
            ratio: 0.1,
          },
          { id: 2, big: -18446744073709551617n, price: null, text: 'naïve "quoted" ☃\nline', nested: { list: [1n, new Decimal('1.50')] } },
        ],
      },
      { type: 'RECORD', stream: 'numbers', record: { id: 3, at: '2024-01-01T00:00:00.123456Z' } },
    ]);
    expect(readFileSync(join(dir, 'numbers.jsonl'), 'utf8')).toBe(
      [
        '{"id":1,"big":9223372036854775809,"price":12345678901234567890.123456789,"cents":5.00,"ratio":0.1}',
        '{"id":2,"big":-18446744073709551617,"price":null,"text":"naïve \\"quoted\\" ☃\\nline","nested":{"list":[1,1.50]}}',
        '{"id":3,"at":"2024-01-01T00:00:00.123456Z"}',
        '',
      ].join('\n'),
    );
  });

  it('writes gzip files that decompress to the same lines, appending a gzip member per flush', async () => {
    const dir = freshDir();
    const records = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, amount: new Decimal(`${i}.25`) }));
    const config: JsonlConfig = { destination_path: dir, compression: 'gzip', batch_size_rows: 10 };
    await write(config, [
      schema('orders'),
      { type: 'RECORD_BATCH', stream: 'orders', records: records.slice(0, 15) },
      state(1),
      { type: 'RECORD_BATCH', stream: 'orders', records: records.slice(15) },
    ]);
    expect(readdirSync(dir)).toEqual(['orders.jsonl.gz']);
    const text = gunzipSync(readFileSync(join(dir, 'orders.jsonl.gz'))).toString('utf8');
    expect(text.split('\n').filter(Boolean)).toEqual(records.map((r) => `{"id":${r.id},"amount":${r.amount.text}}`));
    // A second run appends to the same file.
    await write(config, [schema('orders'), { type: 'RECORD', stream: 'orders', record: { id: 26 } }]);
    expect(
      gunzipSync(readFileSync(join(dir, 'orders.jsonl.gz')))
        .toString('utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(26);
  });

  it('yields a STATE only once the records before it are written and fsynced', async () => {
    const dir = freshDir();
    const path = join(dir, 'events.jsonl');
    let sent = 0;
    async function* messages(): AsyncGenerator<SourceMessage> {
      yield schema('events');
      for (let batch = 1; batch <= 6; batch++) {
        const records = Array.from({ length: 4 }, (_, i) => ({ id: (batch - 1) * 4 + i + 1 }));
        sent += records.length;
        yield { type: 'RECORD_BATCH', stream: 'events', records };
        yield state(sent);
      }
    }
    const seen: { state: number; onDisk: number; sent: number }[] = [];
    for await (const s of destination.write({ destination_path: dir, batch_size_rows: 10 }, messages(), context())) {
      const n = (s.value as { bookmarks: { s: { n: number } } }).bookmarks.s.n;
      seen.push({ state: n, onDisk: lines(path).length, sent });
    }
    // A flush at 12 buffered rows releases the STATE held since 8 rows; the STATE at 12 then finds nothing
    // buffered and passes at once. Likewise at 24.
    expect(seen.map((s) => s.state)).toEqual([8, 12, 20, 24]);
    for (const s of seen) expect(s.onDisk).toBeGreaterThanOrEqual(s.state);
  });

  it('holds the last STATE until the end when nothing fills a flush, and passes a STATE on at once when nothing is buffered', async () => {
    const dir = freshDir();
    const states = await write({ destination_path: dir }, [
      state(0),
      schema('a'),
      { type: 'RECORD', stream: 'a', record: { id: 1 } },
      state(1),
      state(2),
    ]);
    expect(states.map((s) => (s.value as { bookmarks: { s: { n: number } } }).bookmarks.s.n)).toEqual([0, 2]);
  });

  it('writes many interleaved streams each to its own file, in order', async () => {
    const dir = freshDir();
    const streams = Array.from({ length: 25 }, (_, i) => `stream_${i}`);
    const messages: SourceMessage[] = streams.map(schema);
    for (let round = 0; round < 40; round++) {
      for (const stream of streams) messages.push({ type: 'RECORD', stream, record: { id: round, stream } });
      if (round % 7 === 0) messages.push(state(round));
    }
    await write({ destination_path: dir, batch_size_rows: 97 }, messages);
    expect(readdirSync(dir).sort()).toEqual(streams.map((s) => `${s}.jsonl`).sort());
    for (const stream of streams) {
      expect(lines(join(dir, `${stream}.jsonl`))).toEqual(Array.from({ length: 40 }, (_, id) => `{"id":${id},"stream":"${stream}"}`));
    }
  });

  it('puts the run start time in file names with do_timestamp_file', async () => {
    const dir = freshDir();
    await write({ destination_path: dir, do_timestamp_file: true, compression: 'gzip' }, [
      schema('users'),
      { type: 'RECORD', stream: 'users', record: { id: 1 } },
    ]);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^users-\d{8}T\d{6}\.jsonl\.gz$/)]);
  });

  it('makes stream names safe as file names and refuses two streams sharing a file', async () => {
    const dir = freshDir();
    await write({ destination_path: dir }, [
      schema('public/orders'),
      schema('../escape'),
      { type: 'RECORD', stream: '../escape', record: { id: 1 } },
    ]);
    expect(readdirSync(dir).sort()).toEqual(['_._escape.jsonl', 'public_orders.jsonl']);
    await expect(write({ destination_path: freshDir() }, [schema('a/b'), schema('a:b')])).rejects.toThrow(
      /streams "a\/b" and "a:b" would both be written to a_b.jsonl/,
    );
  });

  it('drops an incomplete last line left by an interrupted run before appending', async () => {
    const dir = freshDir();
    await write({ destination_path: dir }, [schema('t'), { type: 'RECORD', stream: 't', record: { id: 1 } }]);
    writeFileSync(join(dir, 't.jsonl'), '{"id":1}\n{"id":2,"na', { flag: 'w' });
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => void warnings.push(message), child: () => logger };
    await write({ destination_path: dir }, [schema('t'), { type: 'RECORD', stream: 't', record: { id: 2 } }], context(logger));
    expect(readFileSync(join(dir, 't.jsonl'), 'utf8')).toBe('{"id":1}\n{"id":2}\n');
    expect(warnings).toEqual([expect.stringContaining('dropped 11 bytes of an incomplete last line')]);
  });

  it('copies the records of Singer BATCH messages (jsonl, gzip) exactly', async () => {
    const dir = freshDir();
    const batchFile = join(root, 'batch-1.jsonl.gz');
    writeFileSync(batchFile, gzipSync('{"id":1,"v":123456789012345678901234567890}\n\n{"id":2,"v":0.10}\n'));
    await write({ destination_path: dir }, [
      schema('b'),
      { type: 'BATCH', stream: 'b', encoding: { format: 'jsonl', compression: 'gzip' }, manifest: [pathToFileURL(batchFile).href] },
    ]);
    expect(lines(join(dir, 'b.jsonl'))).toEqual(['{"id":1,"v":123456789012345678901234567890}', '{"id":2,"v":0.1}']);
    await expect(
      write({ destination_path: dir }, [
        schema('b'),
        { type: 'BATCH', stream: 'b', encoding: { format: 'parquet', compression: 'none' }, manifest: ['x.parquet'] },
      ]),
    ).rejects.toThrow(/stream "b": BATCH format "parquet" is not supported/);
  });

  it('refuses a SCHEMA whose key_properties name a field it does not describe, before writing anything', async () => {
    const dir = freshDir();
    const broken: SourceMessage = {
      type: 'SCHEMA',
      stream: 'odd',
      schema: { type: 'object', properties: { name: { type: 'string' } } },
      key_properties: ['id'],
    };
    await expect(
      write({ destination_path: dir }, [broken, { type: 'RECORD', stream: 'odd', record: { id: 1, name: 'x' } }]),
    ).rejects.toMatchObject({
      code: 'KEY_NOT_IN_SCHEMA',
      message: expect.stringContaining('key property "id"'),
      stream: 'odd',
    });
    expect(existsSync(join(dir, 'odd.jsonl'))).toBe(false);
  });

  it('warns that conflict rules do not apply to an append-only file', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => void warnings.push(message), child: () => logger };
    await write({ destination_path: freshDir() }, [schema('u')], context(logger, { u: { conflictMethod: 'upsert' } }));
    expect(warnings).toEqual([expect.stringContaining('append-only')]);
  });

  it('reads BATCH files only under batch_dir (default: the temp dir), and says why otherwise', async () => {
    const elsewhere = mkdtempSync(join(process.cwd(), '.jsonl-batch-'));
    try {
      writeFileSync(join(elsewhere, 'part.jsonl'), '{"id":1}\n');
      const batch: SourceMessage = {
        type: 'BATCH',
        stream: 'b',
        encoding: { format: 'jsonl', compression: 'none' },
        manifest: [pathToFileURL(join(elsewhere, 'part.jsonl')).href],
      };
      const dir = freshDir();
      await expect(write({ destination_path: dir }, [schema('b'), batch])).rejects.toMatchObject({
        code: 'BATCH_LOCATION_REFUSED',
        stream: 'b',
        hint: expect.stringContaining('batch_dir'),
      });
      await expect(
        write({ destination_path: dir }, [schema('b'), { ...batch, manifest: [join(elsewhere, 'part.jsonl')] } as SourceMessage]),
      ).rejects.toThrow(/is not a file:\/\/ URL/);
      await write({ destination_path: dir, batch_dir: elsewhere }, [schema('b'), batch]);
      expect(lines(join(dir, 'b.jsonl'))).toEqual(['{"id":1}']);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('takes the old flush_* names as deprecated aliases of the shared batch_* settings, with a warning', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => void warnings.push(message), child: () => logger };
    const client = new Jsonl({ config: { destination_path: freshDir(), flush_rows: 2, flush_interval_seconds: 0 }, logger });
    expect(client.config).toMatchObject({ batch_size_rows: 2, batch_max_age_seconds: 0 });
    expect(client.config).not.toHaveProperty('flush_rows');
    expect(warnings).toEqual([
      'destination jsonl: setting "flush_rows" is deprecated, use "batch_size_rows"',
      'destination jsonl: setting "flush_interval_seconds" is deprecated, use "batch_max_age_seconds"',
    ]);
    const states: unknown[] = [];
    for await (const s of client.write([
      schema('a'),
      { type: 'RECORD', stream: 'a', record: { id: 1 } },
      { type: 'RECORD', stream: 'a', record: { id: 2 } },
      state(1),
      { type: 'RECORD', stream: 'a', record: { id: 3 } },
    ]))
      states.push(s.value);
    expect(states).toEqual([state(1).value]);
  });

  it('checks that the directory is writable', async () => {
    const dir = freshDir();
    await expect(new Jsonl({ config: { destination_path: dir } }).check()).resolves.toMatchObject({ ok: true });
    expect(readdirSync(dir)).toEqual([]);
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    await expect(new Jsonl({ config: { destination_path: join(file, 'sub') } }).check()).resolves.toMatchObject({
      ok: false,
      message: expect.stringContaining('cannot write'),
    });
    expect(existsSync(join(file, 'sub'))).toBe(false);
  });

  it('validates its config', () => {
    expect(() => new Jsonl({ config: {} as JsonlConfig })).toThrow(/"destination_path" is required/);
    expect(() => new Jsonl({ config: { destination_path: 'x', compression: 'zip' as 'gzip' } })).toThrow(/compression/);
    expect(new Jsonl({ config: { destination_path: 'x' } }).config).toMatchObject({
      compression: 'none',
      do_timestamp_file: false,
      batch_size_rows: 10000,
    });
  });
});
