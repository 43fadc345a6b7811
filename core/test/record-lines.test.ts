import { describe, expect, it } from 'vitest';
import { readSourceMessages, recordEnvelope, recordsDecoded, type RecordBatchMessage, type SourceMessage } from '../src/index.js';

const SCHEMA = JSON.stringify({
  type: 'SCHEMA',
  stream: 's',
  key_properties: ['id'],
  schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: ['null', 'string'] } } },
});
const record = (body: string, trailer = '') => `{"type":"RECORD","stream":"s","record":${body}${trailer}}`;

async function read(lines: string[]): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  const input = (async function* () {
    yield `${lines.join('\n')}\n`;
  })();
  for await (const message of readSourceMessages(input, { recordLines: true })) out.push(message);
  return out;
}

describe('RECORD lines for a destination that reads them', () => {
  it('hands consecutive compact RECORD lines over as lines, their records parsed only when read', async () => {
    const lines = [
      SCHEMA,
      record('{"id":1,"name":"a"}', ',"version":7'),
      record('{"id":2,"name":"b \\"q\\""}', ',"version":7'),
      record('{"id":3,"name":null}', ',"version":8,"time_extracted":"2024-01-01T00:00:00Z"'),
      '{"type": "RECORD", "stream": "s", "record": {"id": 4}}',
    ];
    const batches = (await read(lines)).filter((m): m is RecordBatchMessage => m.type === 'RECORD_BATCH');
    expect(batches.map((b) => [b.records.length, b.version, b.time_extracted, b.lines?.firstLine])).toEqual([
      [2, 7, undefined, 2],
      [1, 8, '2024-01-01T00:00:00Z', 4],
      [1, undefined, undefined, undefined],
    ]);
    const [first] = batches as [RecordBatchMessage];
    expect(first.lines?.lines).toEqual(lines.slice(1, 3));
    expect(recordsDecoded(first.records)).toBe(false);
    expect([...first.records]).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b "q"' },
    ]);
  });

  it('checks each record as it is read, against the schema of its time, and names its input line', async () => {
    const changed = SCHEMA.replace('"name":{"type":["null","string"]}', '"name":{"type":"integer"}');
    const messages = await read([
      SCHEMA,
      record('{"id":1,"name":"a"}'),
      record('{"name":"no key"}'),
      changed,
      record('{"id":3,"name":"x"}'),
    ]);
    const [before, after] = messages.filter((m): m is RecordBatchMessage => m.type === 'RECORD_BATCH') as [
      RecordBatchMessage,
      RecordBatchMessage,
    ];
    // Read after the schema changed: the first line still passes under the schema it came with.
    expect(before.records[0]).toEqual({ id: 1, name: 'a' });
    expect(() => before.records[1]).toThrow(expect.objectContaining({ code: 'MISSING_KEY_PROPERTY', line: 3 }));
    expect(() => [...after.records]).toThrow(expect.objectContaining({ line: 5, field: 'name' }));
  });

  it('reads a record line before any SCHEMA as usual: an error', async () => {
    await expect(read([record('{"id":1}')])).rejects.toMatchObject({ code: 'RECORD_BEFORE_SCHEMA', line: 1 });
  });

  it("finds the envelope's own keys, never the record's", () => {
    const nested = record('{"a":{},"version":5}');
    expect(recordEnvelope(nested)).toEqual({ stream: 's', recordStart: 39, recordEnd: nested.length - 1 });
    expect(recordEnvelope(record('{"a":1}', ',"version":5'))).toEqual({ stream: 's', version: 5, recordStart: 39, recordEnd: 46 });
    expect(recordEnvelope(record('{"time_extracted":"x"}'))?.timeExtracted).toBeUndefined();
    expect(recordEnvelope(record('{"a":1}', ',"time_extracted":"t\\"x"'))).toBeUndefined();
    expect(recordEnvelope('{"type":"RECORD","stream":"s","record":{"a":1},"other":2}')).toBeUndefined();
    expect(recordEnvelope('{"type":"STATE","value":{}}')).toBeUndefined();
  });
});
