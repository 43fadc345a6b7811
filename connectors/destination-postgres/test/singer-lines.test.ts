import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, createDatabase, ensureBuilt, query, runBin } from './helpers.js';

let database: { name: string; drop: () => Promise<void> };
let workDir: string;

beforeAll(async () => {
  ensureBuilt();
  database = await createDatabase('dpg_lines');
  workDir = mkdtempSync(join(tmpdir(), 'dpg-lines-'));
});
afterAll(async () => {
  await database?.drop();
  rmSync(workDir, { recursive: true, force: true });
});

const SCHEMA = JSON.stringify({
  type: 'SCHEMA',
  stream: 'items',
  key_properties: ['id'],
  schema: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      amount: { type: ['null', 'number'] },
      ratio: { type: ['null', 'number'], 'sql-datatype': 'double precision' },
      at: { type: ['null', 'string'], format: 'date-time' },
      name: { type: ['null', 'string'] },
      doc: { type: ['null', 'object'], 'sql-datatype': 'jsonb' },
    },
  },
});
/** A RECORD line as mage-int's taps write them (the form the target reads from its JSON). */
const line = (record: string) => `{"type":"RECORD","stream":"items","record":${record},"version":3}`;

function config(schema: string): string {
  const path = join(workDir, `${schema}.json`);
  writeFileSync(path, JSON.stringify(baseConfig(database.name, schema)));
  return path;
}

describe('a Singer target reading RECORD lines', () => {
  it('loads values exactly, whether a line goes to COPY text from its JSON or through its record', async () => {
    const input = [
      SCHEMA,
      line(
        '{"id":1,"amount":79.19,"ratio":0.14285714285714285,"at":"2024-01-02T03:04:05.123456Z","name":"tab\\tnew\\nline \\\\ \\"q\\"","doc":{"a": [1, 2.5], "s": "\\u00e9 \\/"}}',
      ),
      // Exact numbers the record path keeps as they are, escapes it rewrites, a delete-free NULL field.
      line(
        '{"id":9007199254740993,"amount":123456789012345678901234567890.5,"ratio":1.50,"at":null,"name":"\\u00e9\\ud83d\\ude00","doc":{"big": 123456789012345678901234567890}}',
      ),
      line('{"id":3,"amount":1.50,"ratio":-0.0,"name":"x","doc":{"x": 1.50}}'),
      JSON.stringify({ type: 'STATE', value: { done: 3 } }),
    ];
    const result = await runBin(config('exact'), `${input.join('\n')}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('{"done":3}');
    const rows = await query(
      database.name,
      `SELECT id::text, amount::text, ratio, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at, name, doc::text, _sdc_table_version::int AS version
         FROM exact.items ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: '1',
        amount: '79.19',
        ratio: 0.14285714285714285,
        at: '2024-01-02 03:04:05.123456',
        name: 'tab\tnew\nline \\ "q"',
        doc: '{"a": [1, 2.5], "s": "é /"}',
        version: 3,
      },
      // As the record path reads them: -0.0 is a double's -0, printed 0; 1.50 is 1.5.
      { id: '3', amount: '1.5', ratio: 0, name: 'x', at: null, doc: '{"x": 1.5}', version: 3 },
      {
        id: '9007199254740993',
        amount: '123456789012345678901234567890.5',
        ratio: 1.5,
        at: null,
        name: 'é😀',
        doc: '{"big": 123456789012345678901234567890}',
        version: 3,
      },
    ]);
  });

  it('stops at a bad value with an error naming its line and field, and reports no state past it', async () => {
    const input = [
      SCHEMA,
      line('{"id":1,"name":"a"}'),
      line('{"id":2,"name":"b"}'),
      JSON.stringify({ type: 'STATE', value: { done: 2 } }),
      line('{"id":3,"at":"not a time"}'),
      line('{"id":4}'),
      JSON.stringify({ type: 'STATE', value: { done: 4 } }),
    ];
    const result = await runBin(config('bad'), `${input.join('\n')}\n`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/line 5/);
    expect(result.stderr).toMatch(/"?at"?/);
    expect(result.stdout).not.toContain('"done":4');
    if (result.stdout.includes('"done":2')) {
      const [count] = await query<{ n: number }>(database.name, 'SELECT count(*)::int AS n FROM bad.items');
      expect(count?.n).toBe(2);
    }
  });
});
