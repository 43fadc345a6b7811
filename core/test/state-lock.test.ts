import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStateStore, StateLockedError } from '../src/index.js';

const script = fileURLToPath(new URL('./fixtures/pipeline-run.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mage-state-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a run that holds the lock until killed; resolves once it is inside the source. */
async function holder(stateDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, stateDir, 'hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve());
    child.once('exit', (code) => reject(new Error(`the holding run exited (${code}): ${stderr}`)));
  });
  return child;
}

const runOnce = (stateDir: string) => spawnSync(process.execPath, [script, stateDir], { encoding: 'utf8' });

describe('the state lock of a pipeline', () => {
  it('stops a second run at once, naming the holder (pid, host, start time)', async () => {
    const stateDir = join(dir, 'busy');
    const first = await holder(stateDir);
    const lock = JSON.parse(readFileSync(join(stateDir, 'locked.lock'), 'utf8')) as { pid: number; host: string; started_at: string };
    expect(lock).toMatchObject({ pid: first.pid, host: hostname() });
    const second = runOnce(stateDir);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `error: pipeline "locked" is already running: process ${first.pid} on ${hostname()}, started ${lock.started_at}, holds its state`,
    );
    expect(second.stdout).toBe('');
    // In process too, as a typed error.
    await expect(new FileStateStore(stateDir).lock('locked')).rejects.toBeInstanceOf(StateLockedError);
    first.kill('SIGTERM');
  });

  it('takes over the lock of a killed run, and releases it when done', async () => {
    const stateDir = join(dir, 'stale');
    const first = await holder(stateDir);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(existsSync(join(stateDir, 'locked.lock'))).toBe(true);
    const next = runOnce(stateDir);
    expect(next.stderr).toBe('');
    expect(next.stdout).toBe('done\n');
    expect(existsSync(join(stateDir, 'locked.lock'))).toBe(false);
    expect(JSON.parse(readFileSync(join(stateDir, 'locked.json'), 'utf8'))).toEqual({ bookmarks: { rows: { id: 1 } } });
  });

  it('takes over the lock of a killed run its parent has not reaped yet (a zombie)', async () => {
    const stateDir = join(dir, 'zombie');
    const first = await holder(stateDir);
    first.kill('SIGKILL');
    // Synchronously, so this process's event loop cannot reap the child: it stays a zombie while the next run starts.
    const deadline = Date.now() + 5_000;
    while (!/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${first.pid}/stat`, 'utf8')) && Date.now() < deadline);
    const next = runOnce(stateDir);
    expect(next.stderr).toBe('');
    expect(next.stdout).toBe('done\n');
  });

  it('does not take a reused pid for the holder (Linux: the process start time differs)', async () => {
    const stateDir = join(dir, 'reused');
    mkdirSync(stateDir, { recursive: true });
    // This very process is alive, but it is not the process that wrote the lock.
    writeFileSync(
      join(stateDir, 'locked.lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), started_at: '2024-01-01T00:00:00.000Z', process_start: '1' }),
    );
    const store = new FileStateStore(stateDir);
    const lock = await store.lock('locked');
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(join(stateDir, 'locked.lock'))).toBe(false);
  });
});
