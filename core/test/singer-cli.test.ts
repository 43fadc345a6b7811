import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const target = fileURLToPath(new URL('./fixtures/target-null.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'target-'));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ api_key: 'sk_live_abcdef' }));

function runTarget(input: string, args = ['--config', config]) {
  const result = spawnSync(process.execPath, [target, ...args], { input, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const schema =
  '{"type":"SCHEMA","stream":"users","schema":{"properties":{"id":{"type":"integer"},"age":{"type":"integer"}}},"key_properties":["id"]}';

describe('a connector run as a standalone Singer target', () => {
  it('prints each state value after the data before it', () => {
    const result = runTarget(
      [
        schema,
        '{"type":"RECORD","stream":"users","record":{"id":1}}',
        '{"type":"STATE","value":{"bookmarks":{"users":{"id":12345678901234567890}}}}',
      ].join('\n'),
    );
    expect(result).toMatchObject({ code: 0, stdout: '{"bookmarks":{"users":{"id":12345678901234567890}}}\n' });
  });

  it.each([
    ['malformed JSON', `${schema}\n{"type":"RECORD",`, 'error: line 2: invalid JSON'],
    [
      'a RECORD before its SCHEMA',
      '{"type":"RECORD","stream":"users","record":{"id":1}}',
      'error: line 1, stream "users": RECORD arrived before any SCHEMA for its stream',
    ],
    [
      'a SCHEMA without properties',
      '{"type":"SCHEMA","stream":"users","schema":{},"key_properties":[]}',
      'error: line 1, stream "users": SCHEMA has no "properties" object',
    ],
    [
      'a record missing its key',
      `${schema}\n{"type":"RECORD","stream":"users","record":{"age":3}}`,
      'error: line 2, stream "users", record #0, field "id": key property "id" is missing',
    ],
    [
      'a record failing its schema',
      `${schema}\n{"type":"RECORD","stream":"users","record":{"id":1,"age":"old"}}`,
      'error: line 2, stream "users", record {"id":1}, field "age": must be integer, got "old"',
    ],
  ])('rejects %s with a clear message and exit code 1', (_name, input, message) => {
    const result = runTarget(input);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('rejects an invalid config naming the setting, without printing secrets', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ api_key: 'sk_live_abcdef', batch: 'big', extra: 1 }));
    const result = runTarget('', ['--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"batch" must be integer');
    expect(result.stderr).toContain('"extra" is not a known setting');
    expect(result.stderr).not.toContain('sk_live');
  });

  it('reads a large input piped in pieces whole, in order (stdin is read on a thread of its own)', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/target-digest.mjs', import.meta.url)), '--config', config], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stdin.write(schema + '\n');
    const records = 200_000;
    const sum = createHash('md5');
    for (let i = 1; i <= records; i++) {
      const line = `{"type":"RECORD","stream":"users","record":{"id":${i},"age":${i % 90}}}\n`;
      sum.update(String(i));
      if (!child.stdin.write(line)) await new Promise((resolve) => child.stdin.once('drain', resolve));
    }
    child.stdin.end('{"type":"STATE","value":{"done":true}}\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    // With the state comes the number of records before it and a digest of their ids, in order.
    expect(JSON.parse(stdout.trim())).toEqual({ records, ids: sum.digest('hex') });
  }, 60_000);

  it('keeps every number exact through a piped stdin, wherever the writes split the lines', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/target-digest.mjs', import.meta.url)), '--config', config], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const numberSchema = schema.replace('"id":{"type":"integer"}', '"id":{"type":"number"}');
    let input = numberSchema + '\n';
    const records = 50_000;
    const sum = createHash('md5');
    for (let i = 1; i <= records; i++) {
      // Exact doubles, integers beyond 2^53, and decimals a double would round; strings that look like numbers.
      const id = [String(i), `${9007199254740993n + BigInt(i)}`, `0.${String(i).padStart(25, '1')}`, `${i}.5`][i % 4]!;
      sum.update(id);
      input += `{"type":"RECORD","stream":"users","record":{"id":${id},"note":"\\"12345678901234567890.${i}\\" \\\\"},"version":1}\n`;
    }
    input += '{"type":"STATE","value":{"done":true}}\n';
    const bytes = Buffer.from(input);
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + ((at * 7919) % 70_000);
      if (!child.stdin.write(bytes.subarray(at, at + size))) await new Promise((resolve) => child.stdin.once('drain', resolve));
      at += size;
    }
    child.stdin.end();
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toEqual({ records, ids: sum.digest('hex') });
  }, 60_000);

  it('exits at once after bad input even while its input stays open', async () => {
    const child = spawn(process.execPath, [target, '--config', config], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.write(`${schema}\n{"type":"RECORD","stream":"users","record":{"id":"x"}}\n`);
    const started = Date.now();
    const code = await new Promise((resolve) => child.on('close', resolve));
    child.stdin.destroy();
    expect(code).toBe(1);
    expect(stderr).toContain('field "id": must be integer');
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);

  it('explains a missing --config', () => {
    const result = runTarget('', []);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--config is required');
  });
});
