import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary directories holding credentials (an external connector's config.json): created 0700, files written
 * 0600, and removed on every way out — normal return, error, abort, `process.exit()` (the CLI's second Ctrl-C)
 * and SIGINT/SIGTERM/SIGHUP when nothing else handles them. A directory left by a process killed with SIGKILL
 * carries that process's pid in its name and is removed by the next process that creates one.
 */

const PREFIX = 'mage-int-ext-';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const liveDirs = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let hooked = false;
let swept = false;

function cleanupNow(): void {
  for (const child of liveChildren) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another handler (the mage-int CLI's) stops the run gracefully; the directories go as the run unwinds, or at exit.
  if (process.listenerCount(signal) > 1) return;
  // Nobody else listens: behave like the default action (die by the signal), but clean up first.
  cleanupNow();
  unhook();
  process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupNow);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off('exit', cleanupNow);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes directories of earlier processes that were killed before they could clean up. */
function sweepOrphans(): void {
  if (swept) return;
  swept = true;
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^mage-int-ext-(\d+)-/.exec(name)?.[1]);
    if (Number.isSafeInteger(pid) && pid !== process.pid && processIsGone(pid))
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

export interface PrivateTempDir {
  path: string;
  /** Writes `name` inside the directory, readable by this user only; returns its path. */
  write(name: string, content: string): Promise<string>;
  /** Kills `child` too if this process exits while the directory exists (it may hold its files open). */
  watch(child: ChildProcess): void;
  remove(): Promise<void>;
}

/** Creates a private temporary directory (see the module comment for how it is cleaned up). */
export async function createPrivateTempDir(): Promise<PrivateTempDir> {
  sweepOrphans();
  hook();
  const path = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`)); // mkdtemp creates it 0700
  liveDirs.add(path);
  const children = new Set<ChildProcess>();
  return {
    path,
    async write(name, content) {
      const file = join(path, name);
      await writeFile(file, content, { mode: 0o600 });
      return file;
    },
    watch(child) {
      children.add(child);
      liveChildren.add(child);
      child.once('close', () => liveChildren.delete(child));
    },
    async remove() {
      for (const child of children) liveChildren.delete(child);
      await rm(path, { recursive: true, force: true });
      liveDirs.delete(path);
      if (liveDirs.size === 0 && liveChildren.size === 0) unhook();
    },
  };
}

/** Runs `fn` with a private temporary directory, removed afterwards whatever happens. */
export async function withPrivateTempDir<T>(fn: (dir: PrivateTempDir) => Promise<T>): Promise<T> {
  const dir = await createPrivateTempDir();
  try {
    return await fn(dir);
  } finally {
    await dir.remove();
  }
}
