import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inexactLines, literalFitsDouble } from '../src/protocol/exact-json.js';
import {
  Decimal,
  encodeSingerMessage,
  JsonText,
  parseExactJson,
  readSingerMessages,
  readSourceMessages,
  RecordValidator,
  stringifyExactJson,
  stringifyRecord,
  type RecordData,
  type SingerMessage,
  type SourceMessage,
} from '../src/index.js';

async function readAll(text: string, options = {}): Promise<SingerMessage[]> {
  const out: SingerMessage[] = [];
  for await (const message of readSingerMessages(Readable.from([Buffer.from(text)]), options)) out.push(message);
  return out;
}

const schema = (stream = 'users', extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'SCHEMA',
    stream,
    schema: { properties: { id: { type: 'integer' }, amount: { type: ['null', 'number'] }, name: { type: ['null', 'string'] } } },
    key_properties: ['id'],
    ...extra,
  });
const record = (rec: Record<string, unknown>, stream = 'users') => JSON.stringify({ type: 'RECORD', stream, record: rec });

describe('exact JSON', () => {
  it('keeps integers beyond 2^53 and long decimals exact through parse and stringify', () => {
    const text = '{"big":99999999999999999,"dec":12345678901234567890.123456789,"small":1.5,"neg":-12345678901234567890}';
    const value = parseExactJson(text) as Record<string, unknown>;
    expect(value['big']).toBe(99999999999999999n);
    expect(value['dec']).toBeInstanceOf(Decimal);
    expect(String(value['dec'])).toBe('12345678901234567890.123456789');
    expect(value['small']).toBe(1.5);
    expect(stringifyExactJson(value)).toBe(text);
  });

  it('keeps doubles printed in their shortest form as plain numbers', () => {
    const value = parseExactJson(
      '{"ratio":0.14285714285714285,"e":1.2345678901234568e+21,"tiny":5e-324,"over":1e400,"under":1e-400}',
    ) as Record<string, unknown>;
    expect(value['ratio']).toBe(0.14285714285714285);
    expect(value['e']).toBe(1.2345678901234568e21);
    expect(value['tiny']).toBe(5e-324);
    expect(String(value['over'])).toBe('1e400');
    expect(value['over']).toBeInstanceOf(Decimal);
    expect(String(value['under'])).toBe('1e-400');
  });

  it('keeps exact values in nested objects and arrays, and strings that look like marks stay strings', () => {
    const value = parseExactJson(
      '{"a":[1,99999999999999999,{"d":0.12345678901234567891}],"s":"\\u00001234567890123456789","n":-12345678901234567890}',
    ) as Record<string, unknown>;
    expect(stringifyExactJson(value)).toBe(
      '{"a":[1,99999999999999999,{"d":0.12345678901234567891}],"s":"\\u00001234567890123456789","n":-12345678901234567890}',
    );
    expect((value['a'] as unknown[])[1]).toBe(99999999999999999n);
    expect(value['s']).toBe('\u00001234567890123456789');
  });

  it('finds exact numbers after strings ending in escaped quotes and backslashes', () => {
    const text = '{"a":"x\\\\","q":"say \\"12345678901234567890\\"","b":12345678901234567890}';
    const value = parseExactJson(text) as Record<string, unknown>;
    expect(value).toEqual({ a: 'x\\', q: 'say "12345678901234567890"', b: 12345678901234567890n });
  });

  it('leaves long digit runs inside strings alone', () => {
    expect(parseExactJson('{"s":"12345678901234567890"}')).toEqual({ s: '12345678901234567890' });
    expect(parseExactJson('{"s":"a:12345678901234567890,","r":0.14285714285714285}')).toEqual({
      s: 'a:12345678901234567890,',
      r: 0.14285714285714285,
    });
  });

  it('finds every literal at risk, whatever the spacing, the sign or the exponent, next to harmless long ones', () => {
    const value = parseExactJson(
      '{ "uuid": "550e8400-e29b-41d4-a716-446655440000", "at": "2020-01-01T00:00:01.234567+00:00", "r": -0.2857142857142857, ' +
        '"big": [ -9223372036854775809 , 1e-400,-1.5E+400 ], "s": "1e-400 12345678901234567890", "d": 1.10000000000000000001 }',
    ) as Record<string, unknown>;
    expect(value['r']).toBe(-0.2857142857142857);
    expect(value['big']).toEqual([-9223372036854775809n, new Decimal('1e-400'), new Decimal('-1.5E+400')]);
    expect(value['s']).toBe('1e-400 12345678901234567890');
    expect(value['d']).toEqual(new Decimal('1.10000000000000000001'));
    expect(value['uuid']).toBe('550e8400-e29b-41d4-a716-446655440000');
  });
});

describe('inexactLines (the scan of the stdin thread)', () => {
  it('marks exactly the lines holding a number a double would not hold, skipping strings and their escapes', () => {
    const lines = [
      '{"a":1,"b":0.1,"c":-12.5e3,"d":9007199254740991}',
      '{"a":9007199254740993}',
      '{"s":"12345678901234567890","t":"\\"","n":1}',
      '{"s":"x\\\\","n":0.1000000000000000000001}',
      '{"s":"\\"0.1000000000000000000001\\"","n":[1,2,{"m":1e400}]}',
      '{"ratio":0.30000000000000004,"big":1.7976931348623157e+308}',
      '{"cut":"no end',
      '{"last":12345678901234567890}',
    ];
    const marks = inexactLines(Buffer.from(lines.join('\n')), literalFitsDouble);
    expect([...marks]).toEqual([0, 1, 0, 1, 1, 0, 1, 1]);
    // A line marked 0 parses to the same values with JSON.parse alone.
    for (const [i, line] of lines.entries()) if (marks[i] === 0) expect(JSON.parse(line)).toEqual(parseExactJson(line));
  });
});

describe('stringifyRecord', () => {
  it('writes the same JSON as stringifyExactJson, for every kind of value', () => {
    const records: RecordData[] = [
      {},
      { id: 1, name: 'plain', ok: true, no: false, nothing: null },
      { big: 2n ** 70n, negative: -(2n ** 64n), price: new Decimal('0.10'), huge: new Decimal('-123456789012345678901234567890.000001') },
      { zero: -0, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, tiny: 1e-7, large: 1e21, frac: 0.1 + 0.2 },
      { skipped: undefined, fn: () => 1, sym: Symbol('s'), kept: 'yes' },
      { text: 'quote " backslash \\ newline \n tab \t control \u0001 unicode ☃ 𝄞 lone \ud800' },
      { 'key with "quotes"': 1, ключ: 2, '': 3, __proto__x: 4 },
      {
        nested: { list: [1n, new Decimal('1.50'), null, undefined, { deep: [new Date(0)] }], empty: [] },
        at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      },
      { boxed: Object('text') as unknown, number: Object(5) as unknown },
      { gone: { toJSON: () => undefined }, stays: 1 },
    ];
    for (const record of records) expect(stringifyRecord(record)).toBe(stringifyExactJson(record));
  });

  it('writes a JsonText as its text, which parses back to the exact value', () => {
    const payload = new JsonText('{"a": [1, 2.50, 12345678901234567890], "s": "x\\"y"}');
    const line = stringifyRecord({ id: 1, payload });
    expect(line).toBe('{"id":1,"payload":{"a": [1, 2.50, 12345678901234567890], "s": "x\\"y"}}');
    expect(parseExactJson(line)).toEqual({ id: 1, payload: { a: [1, 2.5, 12345678901234567890n], s: 'x"y' } });
  });
});

describe('JsonText', () => {
  it('parses exactly on demand, once, and stringifies as its text at the top level and as its value inside structures', () => {
    const json = new JsonText('{"n": 99999999999999999, "d": 0.1000000000000000000001}');
    expect(json.value).toEqual({ n: 99999999999999999n, d: new Decimal('0.1000000000000000000001') });
    expect(json.value).toBe(json.value);
    expect(stringifyExactJson(json)).toBe(json.text);
    expect(stringifyExactJson({ nested: [json] })).toBe('{"nested":[{"n":99999999999999999,"d":0.1000000000000000000001}]}');
  });

  it('validates by the JSON type of its text', () => {
    const validator = new RecordValidator('s', {
      type: 'object',
      properties: { j: { type: ['object', 'array', 'number'] }, k: { type: ['integer'] } },
    });
    const check =
      (j: string, k = '1') =>
      () =>
        validator.validate({ j: new JsonText(j), k: new JsonText(k) }, 1);
    expect(check('{"a": 1}')).not.toThrow();
    expect(check(' [1]')).not.toThrow();
    expect(check('2.5')).not.toThrow();
    expect(check('"text"')).toThrow(/j/);
    expect(check('true')).toThrow(/j/);
    expect(check('1', '1.5')).toThrow(/k/);
  });
});

describe('reading Singer messages', () => {
  it('reads records with exact numbers and matches type case-insensitively', async () => {
    const messages = await readAll(
      [schema(), '{"type":"record","stream":"users","record":{"id":99999999999999999,"amount":12345678901234567890.123456789}}', ''].join(
        '\n',
      ),
    );
    expect(messages.map((m) => m.type)).toEqual(['SCHEMA', 'RECORD']);
    const rec = (messages[1] as { record: Record<string, unknown> }).record;
    expect(rec['id']).toBe(99999999999999999n);
    expect(String(rec['amount'])).toBe('12345678901234567890.123456789');
    expect(encodeSingerMessage(messages[1]!).toString()).toContain('"amount":12345678901234567890.123456789');
  });

  it('passes over unknown message types and blank lines', async () => {
    const messages = await readAll([schema(), '{"type":"FUTURE_THING","x":1}', '', record({ id: 1 })].join('\n'));
    expect(messages.map((m) => m.type)).toEqual(['SCHEMA', 'RECORD']);
  });

  it('drops a repeated identical SCHEMA and keeps a changed one', async () => {
    const changed = JSON.stringify({
      type: 'SCHEMA',
      stream: 'users',
      schema: { properties: { id: { type: 'integer' }, email: { type: 'string' } } },
      key_properties: ['id'],
    });
    const messages = await readAll([schema(), schema(), record({ id: 1 }), changed, record({ id: 2, email: 'a@b.c' })].join('\n'));
    expect(messages.map((m) => m.type)).toEqual(['SCHEMA', 'RECORD', 'SCHEMA', 'RECORD']);
  });

  it('rejects malformed JSON naming the line', async () => {
    await expect(readAll([schema(), '{"type":"RECORD",'].join('\n'))).rejects.toThrow(/^line 2: invalid JSON/);
  });

  it('rejects a RECORD before its SCHEMA naming line and stream', async () => {
    await expect(readAll(record({ id: 1 }, 'orders'))).rejects.toMatchObject({
      code: 'RECORD_BEFORE_SCHEMA',
      message: expect.stringContaining('line 1, stream "orders"'),
    });
  });

  it('rejects a SCHEMA without properties', async () => {
    await expect(readAll('{"type":"SCHEMA","stream":"s","schema":{"type":"object"},"key_properties":[]}')).rejects.toMatchObject({
      code: 'SCHEMA_WITHOUT_PROPERTIES',
      message: expect.stringContaining('stream "s"'),
    });
  });

  it('rejects a record missing a key property, naming stream, record and field', async () => {
    await expect(readAll([schema(), record({ id: 1 }), record({ name: 'x' })].join('\n'))).rejects.toMatchObject({
      code: 'MISSING_KEY_PROPERTY',
      message: 'line 3, stream "users", record #1, field "id": key property "id" is missing',
    });
  });

  it('rejects a record that fails its schema, naming the field and the value', async () => {
    await expect(readAll([schema(), record({ id: 7, amount: 'lots' })].join('\n'))).rejects.toMatchObject({
      code: 'RECORD_INVALID',
      message: 'line 2, stream "users", record {"id":7}, field "amount": must be null or number, got "lots"',
    });
  });

  it('skips schema validation when switched off', async () => {
    const messages = await readAll([schema(), record({ id: 7, amount: 'lots' })].join('\n'), { validateRecords: false });
    expect(messages).toHaveLength(2);
  });

  it('caps line length', async () => {
    const long = record({ id: 1, name: 'x'.repeat(2000) });
    await expect(readAll([schema(), long].join('\n'), { maxLineBytes: 1000 })).rejects.toMatchObject({ code: 'LINE_TOO_LONG', line: 2 });
  });

  it('reads lines split across chunks, multi-byte characters included', async () => {
    const text = [schema(), record({ id: 1, name: 'Zoë 🚀 naïve' })].join('\n') + '\n';
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const out: SingerMessage[] = [];
    for await (const m of readSingerMessages(Readable.from(chunks))) out.push(m);
    expect((out[1] as { record: Record<string, unknown> }).record['name']).toBe('Zoë 🚀 naïve');
  });

  it('gathers consecutive records of a stream into RECORD_BATCH messages for in-process consumers, in order', async () => {
    const state = JSON.stringify({ type: 'STATE', value: { n: 1 } });
    const lines = [
      schema(),
      record({ id: 1 }),
      record({ id: 2 }),
      schema('other'),
      record({ id: 3 }, 'other'),
      record({ id: 4 }),
      state,
      record({ id: 5 }),
    ];
    const text = lines.join('\n') + '\n';
    const batched = async (chunks: Buffer[]) => {
      const out: SourceMessage[] = [];
      for await (const m of readSourceMessages(Readable.from(chunks))) out.push(m);
      return out.map((m) => (m.type === 'RECORD_BATCH' ? `${m.stream}:${m.records.map((r) => r['id']).join(',')}` : m.type));
    };
    expect(await batched([Buffer.from(text)])).toEqual(['SCHEMA', 'users:1,2', 'SCHEMA', 'other:3', 'users:4', 'STATE', 'users:5']);
    // A batch never waits for the next chunk: records already read reach the destination.
    const cut = text.indexOf(lines[2]!);
    expect(await batched([Buffer.from(text.slice(0, cut)), Buffer.from(text.slice(cut))])).toEqual([
      'SCHEMA',
      'users:1',
      'users:2',
      'SCHEMA',
      'other:3',
      'users:4',
      'STATE',
      'users:5',
    ]);
  });

  it('names the line of a bad record when records are gathered into batches', async () => {
    const text = [schema(), record({ id: 1 }), record({ id: 2, amount: 'lots' })].join('\n');
    const read = async () => {
      for await (const _m of readSourceMessages(Readable.from([Buffer.from(text)]))) void _m;
    };
    await expect(read()).rejects.toMatchObject({ code: 'RECORD_INVALID', line: 3 });
  });

  it('expands a RECORD_BATCH into RECORD lines on the wire', () => {
    const text = encodeSingerMessage({
      type: 'RECORD_BATCH',
      stream: 's',
      records: [{ id: 1n << 60n }, { id: 2, name: 'ü'.repeat(40_000) }],
      version: 3,
    }).toString();
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1).split('\n')).toEqual([
      '{"type":"RECORD","stream":"s","record":{"id":1152921504606846976},"version":3}',
      `{"type":"RECORD","stream":"s","record":{"id":2,"name":"${'ü'.repeat(40_000)}"},"version":3}`,
    ]);
  });

  it('writes every line of a long batch, across the chunks it is encoded in', () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ id: i, text: i % 7 === 0 ? '日本語 😀'.repeat(i % 50) : `row ${i}` }));
    const text = encodeSingerMessage({ type: 'RECORD_BATCH', stream: 's', records, time_extracted: '2024-01-01T00:00:00Z' }).toString();
    expect(text).toBe(
      records
        .map((r) => `${JSON.stringify({ type: 'RECORD', stream: 's', record: r, time_extracted: '2024-01-01T00:00:00Z' })}\n`)
        .join(''),
    );
  });
});
