import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, SERVER, uniqueDatabase, withServer } from './mysql-server.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(PACKAGE_DIR, 'dist/bin.js');
const ORDERS = 30_000;
const UPDATES = 10_000;
const STATE_EVERY = 1_000;

function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

let database: string;
let workDir: string;
beforeAll(() => {
  if (!existsSync(BIN) || statSync(BIN).mtimeMs < newest(join(PACKAGE_DIR, 'src')))
    execFileSync('npm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'ignore' });
  database = uniqueDatabase('mage_mysql_crash');
  workDir = mkdtempSync(join(tmpdir(), 'mysql-crash-'));
});
afterAll(async () => {
  await dropDatabase(database);
  rmSync(workDir, { recursive: true, force: true });
});

/** A tap's output: inserts, then updates of earlier keys, an append-only audit stream, a STATE every 1,000 records. */
function sourceLines(): { lines: string[]; expected: Map<number, string> } {
  const lines = [
    JSON.stringify({
      type: 'SCHEMA',
      stream: 'orders',
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' }, status: { type: 'string' } } },
    }),
    JSON.stringify({
      type: 'SCHEMA',
      stream: 'audit',
      key_properties: ['seq'],
      schema: { type: 'object', properties: { seq: { type: 'integer' }, order_id: { type: 'integer' } } },
    }),
  ];
  const expected = new Map<number, string>();
  let position = 0;
  const emit = (id: number, status: string) => {
    lines.push(
      JSON.stringify({ type: 'RECORD', stream: 'orders', record: { id, status } }),
      JSON.stringify({ type: 'RECORD', stream: 'audit', record: { seq: position, order_id: id } }),
    );
    expected.set(id, status);
    if (++position % STATE_EVERY === 0) lines.push(JSON.stringify({ type: 'STATE', value: { position } }));
  };
  for (let id = 1; id <= ORDERS; id++) emit(id, `new\t${id} ✓`);
  for (let i = 0; i < UPDATES; i++) emit(((i * 7919) % ORDERS) + 1, `updated ${i}`);
  lines.push(JSON.stringify({ type: 'STATE', value: { position } }));
  return { lines, expected };
}

/** Runs the target on `input`; with `killAfter`, SIGKILLs it shortly after it printed that many states. */
function run(
  configPath: string,
  input: string[],
  killAfter?: number,
): Promise<{ states: string[]; signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--config', configPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let killing = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (killAfter !== undefined && !killing && out.split('\n').length - 1 >= killAfter) {
        killing = true;
        // Well into the next transaction (its LOAD DATA or merge) before pulling the plug.
        setTimeout(() => child.kill('SIGKILL'), 100);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ states: out.split('\n').slice(0, -1), signal, code, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input.join('\n') + '\n');
  });
}

async function count(sql: string): Promise<number> {
  return withServer(async (client) => {
    const [rows] = (await client.query(sql)) as unknown as [{ n: number | string }[]];
    return Number(rows[0]?.n);
  }, database);
}

describe('crash and resume', () => {
  it('after SIGKILL mid-load the state printed is never ahead of the committed rows, and resuming from it makes the table exact', async () => {
    const { lines, expected } = sourceLines();
    const configPath = join(workDir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ ...SERVER, database, batch_size_rows: 4_000 }));

    const first = await run(configPath, lines, 2);
    expect(first.signal, `the target finished before it could be killed: ${first.stderr}`).toBe('SIGKILL');
    const lastState = first.states.at(-1)!;
    const position = (JSON.parse(lastState) as { position: number }).position;
    expect(position).toBeGreaterThan(0);
    // Every audit record before the last printed state is committed; the transaction in flight is gone entirely.
    const committed = await count('SELECT COUNT(*) AS n FROM audit');
    expect(committed).toBeGreaterThanOrEqual(position);
    expect(committed).toBeLessThan(ORDERS + UPDATES);

    // The tap resumes from that state: its SCHEMAs again, then what came after the state.
    const stateIndex = lines.indexOf(JSON.stringify({ type: 'STATE', value: JSON.parse(lastState) }));
    const second = await run(configPath, [...lines.slice(0, 2), ...lines.slice(stateIndex + 1)]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.states.at(-1)!)).toEqual({ position: ORDERS + UPDATES });

    const rows = await withServer(
      async (client) => (await client.query('SELECT id, status FROM orders')) as unknown as [{ id: number; status: string }[]],
      database,
    );
    expect(rows[0]).toHaveLength(expected.size);
    expect(rows[0].filter((r) => expected.get(Number(r.id)) !== r.status)).toEqual([]);
    expect(await count('SELECT COUNT(DISTINCT seq) AS n FROM audit')).toBe(ORDERS + UPDATES);
    expect(await count('SELECT COUNT(*) AS n FROM audit')).toBe(ORDERS + UPDATES);
  }, 120_000);
});
