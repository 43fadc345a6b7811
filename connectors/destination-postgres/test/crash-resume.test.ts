import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, baseConfig, createDatabase, ensureBuilt, query, runBin } from './helpers.js';

let database: { name: string; drop: () => Promise<void> };
let workDir: string;

beforeAll(async () => {
  ensureBuilt();
  database = await createDatabase('dpg_crash');
  workDir = mkdtempSync(join(tmpdir(), 'dpg-crash-'));
});
afterAll(async () => {
  await database?.drop();
  rmSync(workDir, { recursive: true, force: true });
});

const ORDERS = 60_000;
const UPDATES = 20_000;
const STATE_EVERY = 1_000;

/**
 * A tap's output: two keyed streams, inserts then updates of earlier keys, a STATE after every 1,000 records
 * naming its position (what a tap would resume from).
 */
function sourceMessages(): { lines: string[]; expected: Map<number, { status: string; note: string }> } {
  const lines = [
    JSON.stringify({
      type: 'SCHEMA',
      stream: 'orders',
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' }, status: { type: 'string' }, note: { type: ['null', 'string'] } } },
    }),
    JSON.stringify({
      type: 'SCHEMA',
      stream: 'audit',
      key_properties: ['seq'],
      schema: { type: 'object', properties: { seq: { type: 'integer' }, order_id: { type: 'integer' } } },
    }),
  ];
  const expected = new Map<number, { status: string; note: string }>();
  let position = 0;
  const emit = (id: number, status: string) => {
    const note = `line ${position}\twith\ttabs\nand newline \\ ${'é'.repeat(position % 5)}`;
    lines.push(JSON.stringify({ type: 'RECORD', stream: 'orders', record: { id, status, note } }));
    lines.push(JSON.stringify({ type: 'RECORD', stream: 'audit', record: { seq: position, order_id: id } }));
    expected.set(id, { status, note });
    position++;
    if (position % STATE_EVERY === 0) lines.push(JSON.stringify({ type: 'STATE', value: { bookmarks: { orders: { position } } } }));
  };
  for (let id = 1; id <= ORDERS; id++) emit(id, 'new');
  for (let i = 0; i < UPDATES; i++) emit(((i * 7919) % ORDERS) + 1, `updated ${i}`);
  lines.push(JSON.stringify({ type: 'STATE', value: { bookmarks: { orders: { position } } } }));
  return { lines, expected };
}

/** Starts the target on `lines` and SIGKILLs it once it has printed `afterStates` states; returns what it printed. */
function runAndKill(configPath: string, lines: string[], afterStates: number): Promise<{ states: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--config', configPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const complete = out.split('\n').slice(0, -1);
      if (!killed && complete.length >= afterStates) {
        killed = true;
        // Let it get well into the next transaction before pulling the plug.
        setTimeout(() => child.kill('SIGKILL'), 150);
      }
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ states: out.split('\n').slice(0, -1), killed: signal === 'SIGKILL' }));
    child.stdin.on('error', () => {});
    child.stdin.end(lines.join('\n') + '\n');
  });
}

describe('crash and resume', () => {
  it('after SIGKILL mid-load, resuming from the last printed state makes the destination equal the source', async () => {
    const { lines, expected } = sourceMessages();
    const configPath = join(workDir, 'config.json');
    writeFileSync(configPath, JSON.stringify(baseConfig(database.name, 'crash', { batch_size_rows: 5_000 })));

    const first = await runAndKill(configPath, lines, 2);
    expect(first.killed, 'the target finished before it could be killed: make the input larger').toBe(true);
    const lastState = first.states.at(-1) as string;
    const position = (JSON.parse(lastState) as { bookmarks: { orders: { position: number } } }).bookmarks.orders.position;
    expect(position).toBeGreaterThan(0);

    // Everything up to the state is committed; the transaction in flight when it died is gone entirely.
    const [committed] = await query<{ n: number }>(database.name, 'SELECT count(*)::int AS n FROM crash.audit');
    expect(committed?.n).toBeGreaterThanOrEqual(position);
    expect(committed?.n).toBeLessThan(ORDERS + UPDATES);

    // Killed while the keys still rose, the tables it created have no primary key yet (defer_primary_key): the
    // pending mark says so, and the next run must build the key before it loads.
    const keys = () =>
      query<{ table: string; primary: boolean; pending: boolean }>(
        database.name,
        `SELECT c.relname AS table, EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS primary,
                EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.conname = 'mage_int_primary_key_pending') AS pending
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'crash' AND c.relkind = 'r' ORDER BY 1`,
      );
    if (committed!.n < ORDERS) {
      expect(await keys()).toEqual([
        { table: 'audit', primary: false, pending: true },
        { table: 'orders', primary: false, pending: true },
      ]);
    }

    // A tap resumes from that state: it sends its SCHEMAs again, then what came after the state.
    const stateIndex = lines.indexOf(JSON.stringify({ type: 'STATE', value: JSON.parse(lastState) }));
    expect(stateIndex).toBeGreaterThan(0);
    const resumed = [...lines.slice(0, 2), ...lines.slice(stateIndex + 1)];
    const second = await runBin(configPath, resumed.join('\n') + '\n');
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').at(-1) as string)).toEqual({
      bookmarks: { orders: { position: ORDERS + UPDATES } },
    });

    const rows = await query<{ id: number; status: string; note: string }>(
      database.name,
      'SELECT id::int AS id, status, note FROM crash.orders',
    );
    expect(rows).toHaveLength(expected.size);
    const mismatches = rows.filter((r) => expected.get(r.id)?.status !== r.status || expected.get(r.id)?.note !== r.note);
    expect(mismatches).toEqual([]);
    const [audit] = await query<{ n: number; distinct: number }>(
      database.name,
      'SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct FROM crash.audit',
    );
    expect(audit).toEqual({ n: ORDERS + UPDATES, distinct: ORDERS + UPDATES });
    expect(await keys()).toEqual([
      { table: 'audit', primary: true, pending: false },
      { table: 'orders', primary: true, pending: false },
    ]);
  });
});
