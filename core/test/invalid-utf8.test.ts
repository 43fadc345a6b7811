import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readSourceMessages, type SourceMessage } from '../src/index.js';

const schema =
  '{"type":"SCHEMA","stream":"notes","schema":{"properties":{"id":{"type":"integer"},"text":{"type":"string"}}},"key_properties":["id"]}';
const record = (id: number, text: Buffer) =>
  Buffer.concat([Buffer.from(`{"type":"RECORD","stream":"notes","record":{"id":${id},"text":"`), text, Buffer.from('"}}')]);
const line = (text: string) => Buffer.from(text);
/** Input lines joined by newlines, as one buffer. */
const input = (...lines: Buffer[]) => Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));

async function read(chunks: Buffer[], invalidUtf8?: 'fail' | 'replace'): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  for await (const m of readSourceMessages(
    (async function* () {
      yield* chunks;
    })(),
    invalidUtf8 ? { invalidUtf8 } : {},
  ))
    out.push(m);
  return out;
}

const texts = (messages: SourceMessage[]) => messages.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records.map((r) => r['text']) : []));

describe('Singer input that is not UTF-8', () => {
  const bytes = input(line(schema), record(1, Buffer.from('café', 'utf8')), record(2, Buffer.from([0x6f, 0x6b, 0xff, 0x21])));
  const badOffset = bytes.indexOf(0xff);

  it('is an error naming the line and the byte offset, wherever the chunks split the input', async () => {
    const expected = `line 3: invalid UTF-8 at byte ${badOffset} of the input (byte ${badOffset - bytes.lastIndexOf(10, badOffset) - 1} of the line): 0xff`;
    await expect(read([bytes])).rejects.toThrow(expected);
    // Every split point: a multi-byte character cut in two is fine, the bad byte is found at the same place.
    for (let cut = 1; cut < bytes.length; cut++) {
      await expect(read([bytes.subarray(0, cut), bytes.subarray(cut)])).rejects.toThrow(expected);
    }
    const last = input(line(schema)).toString() + record(1, Buffer.from([0xc3, 0x28])).toString('latin1');
    await expect(read([Buffer.from(last, 'latin1')])).rejects.toThrow('line 2: invalid UTF-8');
  });

  it('passes valid multi-byte text split anywhere', async () => {
    const good = input(line(schema), record(1, Buffer.from('naïve – 日本 😀', 'utf8')));
    for (let cut = 1; cut < good.length; cut++)
      expect(texts(await read([good.subarray(0, cut), good.subarray(cut)]))).toEqual(['naïve – 日本 😀']);
  });

  it('becomes U+FFFD when the reader is told to replace it', async () => {
    expect(texts(await read([bytes], 'replace'))).toEqual(['café', 'ok\uFFFD!']);
  });
});

describe('a target (destination-jsonl) reading invalid UTF-8 on stdin', () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'connectors', 'destination-jsonl', 'dist', 'bin.js');
  const dir = mkdtempSync(join(tmpdir(), 'mage-utf8-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stdin = input(
    line(schema),
    record(1, Buffer.from('first', 'utf8')),
    line('{"type":"STATE","value":{"n":1}}'),
    record(2, Buffer.from([0x62, 0x61, 0x64, 0xc0, 0xaf])),
    line('{"type":"STATE","value":{"n":2}}'),
  );
  const run = (name: string, config: Record<string, unknown>) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ destination_path: join(dir, name), batch_size_rows: 1, ...config }));
    return spawnSync(process.execPath, [bin, '--config', path], { input: stdin, encoding: 'utf8' });
  };

  it('stops with exit 1, the line and byte offset, and no state after the last committed one', () => {
    expect(existsSync(bin), 'build destination-jsonl first (npm run build)').toBe(true);
    const result = run('fail', {});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `error: line 4: invalid UTF-8 at byte ${stdin.indexOf(0xc0)} of the input (byte ${stdin.indexOf(0xc0) - stdin.lastIndexOf(10, stdin.indexOf(0xc0)) - 1} of the line): 0xc0`,
    );
    expect(result.stdout).not.toContain('"n":2');
    const lines = readFileSync(join(dir, 'fail', 'notes.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([1]);
  });

  it('stores U+FFFD and goes on with invalid_utf8: replace', () => {
    const result = run('replace', { invalid_utf8: 'replace' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('{"n":1}\n{"n":2}\n');
    const rows = readFileSync(join(dir, 'replace', 'notes.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string });
    expect(rows.map((r) => r.text)).toEqual(['first', 'bad\uFFFD\uFFFD']);
  });
});
