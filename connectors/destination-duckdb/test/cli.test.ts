import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { query, tempDir } from './helpers.js';

const tmp = tempDir('cli');
const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build', '-w', '@mage-int/core', '-w', '@mage-int/destination-duckdb'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
}, 180_000);
afterAll(() => tmp.cleanup());

function target(config: object, input: string) {
  const configPath = join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  return spawnSync(process.execPath, [bin, '--config', configPath], { input, encoding: 'utf8' });
}

describe('destination-duckdb as a Singer target', () => {
  test('reads Singer messages on stdin, loads them, prints committed states, and leaves a self-contained file', async () => {
    const path = join(tmp.dir, 'nested', 'cli.duckdb');
    const lines = [
      {
        type: 'SCHEMA',
        stream: 'users',
        schema: {
          properties: {
            id: { type: 'integer' },
            balance: { type: 'number', multipleOf: 0.01 },
            seen: { type: 'string', format: 'date-time' },
          },
        },
        key_properties: ['id'],
      },
      { type: 'RECORD', stream: 'users', record: { id: 1, balance: 10.5, seen: '2024-01-01T00:00:00.000001Z' } },
      { type: 'STATE', value: { bookmarks: { users: { replication_key_value: 1 } } } },
      { type: 'RECORD', stream: 'users', record: { id: 2, balance: 0.01, seen: '2024-01-02T00:00:00Z' } },
      { type: 'RECORD', stream: 'users', record: { id: 1, balance: 11, seen: '2024-01-03T00:00:00Z' } },
      { type: 'STATE', value: { bookmarks: { users: { replication_key_value: 3 } } } },
    ];
    const input = lines
      .map((l) => JSON.stringify(l))
      .join('\n')
      .replace('"id":2', '"id":92233720368547758070');
    const result = target({ path, batch_size_rows: 1 }, input);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([{ bookmarks: { users: { replication_key_value: 1 } } }, { bookmarks: { users: { replication_key_value: 3 } } }]);
    expect(existsSync(`${path}.wal`)).toBe(false);
    expect(
      await query(path, 'SELECT id::VARCHAR AS id, balance::VARCHAR AS balance, seen::VARCHAR AS seen FROM users ORDER BY id'),
    ).toEqual([
      { id: '1', balance: '11.00', seen: '2024-01-03 00:00:00+00' },
      { id: '92233720368547758070', balance: '0.01', seen: '2024-01-02 00:00:00+00' },
    ]);
  });

  test('loads a csv-view BATCH a tap in another process names on stdin; a bad value exits 1 naming the file, line and field', async () => {
    // The numbered rows source-files writes (each row's line in the source's file first) and the view of them.
    const schema = {
      type: 'SCHEMA',
      stream: 'orders',
      schema: {
        properties: {
          id: { type: 'integer' },
          amount: { type: 'number' },
          note: { type: ['string', 'null'] },
          _sdc_source_lineno: { type: 'integer' },
        },
      },
      key_properties: [],
    };
    const view = {
      csv: { delimiter: ',', quote: '"', escape: '"', nullValues: [''] },
      file: 'in/orders.csv',
      columns: ['id', 'amount', 'note'],
      fields: [
        { name: 'id', column: 0, kind: 'integer' },
        { name: 'amount', column: 1, kind: 'number' },
        { name: 'note', column: 2 },
        { name: '_sdc_source_lineno', line: true },
      ],
    };
    const run = (name: string, rows: string) => {
      const file = join(tmp.dir, `${name}.csv`);
      writeFileSync(file, rows);
      const batch = {
        type: 'BATCH',
        stream: 'orders',
        encoding: { format: 'csv-view', compression: 'none' },
        manifest: [`file://${file}`],
        view,
      };
      const input = [schema, batch, { type: 'STATE', value: { done: name } }].map((l) => JSON.stringify(l)).join('\n');
      return target({ path: join(tmp.dir, `${name}.duckdb`), batch_dir: tmp.dir }, input);
    };
    const good = run('csv-view', '\n2,1,0.5,"a\nb"\n4,2,12345678901234567890.5,\n');
    expect(good.stderr).not.toMatch(/error/i);
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout.trim())).toEqual({ done: 'csv-view' });
    expect(
      await query(
        join(tmp.dir, 'csv-view.duckdb'),
        'SELECT id, amount::VARCHAR AS amount, note, _sdc_source_lineno AS line FROM orders ORDER BY id',
      ),
    ).toEqual([
      { id: '1', amount: '0.5', note: 'a\nb', line: '2' },
      { id: '2', amount: '12345678901234567890.5', note: null, line: '4' },
    ]);
    const bad = run('csv-view-bad', '\n2,1,0.5,a\n5,x,1,b\n');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/in\/orders\.csv:5: "x" is not a valid integer/);
    expect(bad.stderr).toMatch(/field "id"/);
    expect(bad.stdout.trim()).toBe('');
  });

  test('exits 1 with a message naming the line when the input breaks the protocol', () => {
    const result = target({ path: join(tmp.dir, 'bad.duckdb') }, '{"type":"RECORD","stream":"ghost","record":{"id":1}}\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/line 1, stream "ghost".*before any SCHEMA/);
    expect(result.stdout).toBe('');
  });

  test('killed mid-load, it keeps every committed batch; replaying the input makes the table exact', async () => {
    const path = join(tmp.dir, 'crash.duckdb');
    const configPath = join(tmp.dir, 'crash-config.json');
    writeFileSync(configPath, JSON.stringify({ path, batch_size_rows: 100 }));
    const lines = [
      JSON.stringify({
        type: 'SCHEMA',
        stream: 'events',
        schema: { properties: { id: { type: 'integer' }, v: { type: 'string' } } },
        key_properties: ['id'],
      }),
    ];
    for (let id = 1; id <= 1000; id++) {
      lines.push(JSON.stringify({ type: 'RECORD', stream: 'events', record: { id, v: `v${id}` } }));
      if (id % 100 === 0) lines.push(JSON.stringify({ type: 'STATE', value: { last: id } }));
    }
    const child = spawn(process.execPath, [bin, '--config', configPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Feed 450 records, wait for the state after the 4th batch, then kill the target without warning.
    const states: number[] = [];
    const fourth = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().trim().split('\n')) states.push((JSON.parse(line) as { last: number }).last);
        if (states.includes(400)) resolve();
      });
    });
    child.stdin.write(lines.slice(0, 1 + 450 + 4).join('\n') + '\n');
    await fourth;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const committed = Number((await query(path, 'SELECT count(*)::INTEGER AS n FROM events'))[0]?.['n']);
    expect(committed).toBeGreaterThanOrEqual(400);
    // The next run starts over from the last state it saw (here: from the start, at-least-once); keys make it exact.
    const rerun = target({ path, batch_size_rows: 100 }, lines.join('\n'));
    expect(rerun.status).toBe(0);
    expect(
      await query(
        path,
        'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, max(v) FILTER (WHERE id = 1000) AS last FROM events',
      ),
    ).toEqual([{ n: 1000, ids: 1000, last: 'v1000' }]);
  });
});
