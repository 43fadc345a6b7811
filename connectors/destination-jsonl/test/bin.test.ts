import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'destination-jsonl-bin-'));

function target(config: Record<string, unknown>, input: string[]) {
  const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  return spawnSync(process.execPath, [bin, '--config', configPath], { input: input.join('\n') + '\n', encoding: 'utf8' });
}

const schema = JSON.stringify({
  type: 'SCHEMA',
  stream: 'payments',
  schema: {
    properties: {
      id: { type: 'integer' },
      amount: { type: 'number', multipleOf: 0.01 },
      big: { type: ['null', 'integer'] },
      ratio: { type: ['null', 'number'] },
    },
  },
  key_properties: ['id'],
});

describe('destination-jsonl as a Singer target', () => {
  beforeAll(() => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the records with their exact digits and prints each state once it is flushed', () => {
    const out = join(dir, 'out');
    const result = target({ destination_path: out, batch_size_rows: 2 }, [
      schema,
      '{"type":"RECORD","stream":"payments","record":{"id":1,"amount":141.95,"big":18446744073709551621,"ratio":0.1234567890123456789}}',
      '{"type":"STATE","value":{"bookmarks":{"payments":{"replication_key_value":1}}}}',
      '{"type":"RECORD","stream":"payments","record":{"id":2,"amount":19.99,"big":null,"ratio":null}}',
      '{"type":"ACTIVATE_VERSION","stream":"payments","version":1}',
      '{"type":"RECORD","stream":"payments","record":{"id":3,"amount":7,"big":-9007199254740993,"ratio":1e-7}}',
      '{"type":"STATE","value":{"bookmarks":{"payments":{"replication_key_value":3}}}}',
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      '{"bookmarks":{"payments":{"replication_key_value":1}}}\n{"bookmarks":{"payments":{"replication_key_value":3}}}\n',
    );
    expect(readFileSync(join(out, 'payments.jsonl'), 'utf8')).toBe(
      [
        '{"id":1,"amount":141.95,"big":18446744073709551621,"ratio":0.1234567890123456789}',
        '{"id":2,"amount":19.99,"big":null,"ratio":null}',
        '{"id":3,"amount":7,"big":-9007199254740993,"ratio":1e-7}',
        '',
      ].join('\n'),
    );
  });

  it('takes a deprecated setting name and says which name replaces it', () => {
    const out = join(dir, 'out-deprecated');
    const result = target({ destination_path: out, flush_rows: 1 }, [
      schema,
      '{"type":"RECORD","stream":"payments","record":{"id":1,"amount":1}}',
      '{"type":"STATE","value":{"n":1}}',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('setting "flush_rows" is deprecated, use "batch_size_rows"');
    expect(result.stdout).toBe('{"n":1}\n');
  });

  it('writes gzip when asked', () => {
    const out = join(dir, 'gz');
    const result = target({ destination_path: out, compression: 'gzip' }, [
      schema,
      '{"type":"RECORD","stream":"payments","record":{"id":1,"amount":1.50}}',
    ]);
    expect(result.status).toBe(0);
    expect(existsSync(join(out, 'payments.jsonl.gz'))).toBe(true);
  });

  it('rejects a record before its schema with the line number, and prints no state', () => {
    const result = target({ destination_path: join(dir, 'bad') }, [
      '{"type":"RECORD","stream":"payments","record":{"id":1}}',
      '{"type":"STATE","value":{}}',
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/line 1, stream "payments".*before any SCHEMA/);
  });
});
