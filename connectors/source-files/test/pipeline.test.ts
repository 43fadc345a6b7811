import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';

const connectors = fileURLToPath(new URL('../..', import.meta.url));
const sourceBin = join(connectors, 'source-files/dist/bin.js');
const targetBin = join(connectors, 'destination-files/dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'source-files-pipeline-'));

/** `source-files --config a | destination-files --config b`, as a shell would run them; resolves with each exit code and stderr. */
function pipe(
  sourceConfig: object,
  targetConfig: object,
  state?: object,
): Promise<{ source: number | null; target: number | null; stdout: string; stderr: string }> {
  const a = join(dir, `source-${Math.random().toString(36).slice(2)}.json`);
  const b = join(dir, `target-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(a, JSON.stringify(sourceConfig));
  writeFileSync(b, JSON.stringify(targetConfig));
  const stateArgs: string[] = [];
  if (state) {
    const s = join(dir, `state-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(s, JSON.stringify(state));
    stateArgs.push('--state', s);
  }
  const source = spawn(process.execPath, [sourceBin, '--config', a, ...stateArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const target = spawn(process.execPath, [targetBin, '--config', b], { stdio: ['pipe', 'pipe', 'pipe'] });
  source.stdout.pipe(target.stdin);
  let stdout = '';
  let stderr = '';
  target.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  source.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  target.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = (p: { on(event: 'close', listener: (code: number | null) => void): unknown }) =>
    new Promise<number | null>((resolve) => p.on('close', resolve));
  return Promise.all([exit(source), exit(target)]).then(([s, t]) => ({ source: s, target: t, stdout, stderr }));
}

function put(key: string, content: string, minutesAgo: number): void {
  const path = join(dir, 'in', key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  const at = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(path, at, at);
}

describe('source-files | destination-files as Singer executables', () => {
  beforeAll(() => {
    for (const pkg of ['source-files', 'destination-files']) {
      if (!existsSync(join(connectors, pkg, 'dist/bin.js')))
        execFileSync('npm', ['run', 'build'], { cwd: join(connectors, pkg), stdio: 'ignore' });
    }
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns CSV into Parquet that DuckDB reads exactly, then loads only new files from the saved state', async () => {
    put('orders/dt=2024-01-01/a.csv', 'id,amount,note\n1,12345678901234567890.25,"multi\nline"\n2,,""\n', 30);
    const sourceConfig = { root: join(dir, 'in'), streams: [{ name: 'orders', pattern: 'orders/**/*.csv', key_properties: ['id'] }] };
    const out = join(dir, 'out');
    const first = await pipe(sourceConfig, { root: out, format: 'parquet' });
    expect(first.stderr).toBe('');
    expect([first.source, first.target]).toEqual([0, 0]);
    const states = first.stdout.trim().split('\n');
    const state = JSON.parse(states.at(-1) as string) as { bookmarks: Record<string, Record<string, unknown>> };
    expect(state.bookmarks['orders']?.['files_read']).toEqual({ 'orders/dt=2024-01-01/a.csv': expect.any(String) });

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const read = async () =>
      (
        await duck.runAndReadAll(
          `SELECT dt, id, amount::VARCHAR AS amount, note, _sdc_source_lineno AS line FROM read_parquet('${out}/orders/*.parquet') ORDER BY id`,
        )
      ).getRowObjectsJS();
    expect(await read()).toEqual([
      { dt: '2024-01-01', id: 1n, amount: '12345678901234567890.25', note: 'multi\nline', line: 3n },
      { dt: '2024-01-01', id: 2n, amount: null, note: '', line: 4n },
    ]);

    put('orders/dt=2024-01-02/b.csv', 'id,amount,note\n3,1.5,x\n', 20);
    const second = await pipe(sourceConfig, { root: out, format: 'parquet' }, state);
    expect([second.source, second.target]).toEqual([0, 0]);
    expect((await read()).map((r) => r['id'])).toEqual([1n, 2n, 3n]);
    expect(readdirSync(join(out, 'orders')).filter((f) => f.endsWith('.parquet'))).toHaveLength(2);
  });

  it('exits non-zero naming the stream, file, line and field of a bad value, releasing no state past it', async () => {
    put('bad/a.csv', 'id\n1\n', 30);
    put('bad/b.csv', 'id\n2\nnot-a-number\n', 20);
    const result = await pipe(
      {
        root: join(dir, 'in'),
        streams: [{ name: 'bad', pattern: 'bad/*.csv', schema: { type: 'object', properties: { id: { type: 'integer' } } } }],
      },
      { root: join(dir, 'bad-out'), format: 'jsonl' },
    );
    expect(result.source).not.toBe(0);
    expect(result.stderr).toMatch(/stream "bad", field "id".*bad\/b\.csv:3: "not-a-number" is not a valid integer/);
    expect(result.stdout).not.toContain('bad/b.csv');
  });
});
