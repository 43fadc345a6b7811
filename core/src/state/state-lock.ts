import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { MageError } from '../errors.js';

/** Who holds a pipeline's state lock. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO 8601). */
  started_at: string;
  /** Linux: the process's start time in clock ticks since boot, so a pid reused by another process is not taken for the holder. */
  process_start?: string;
}

/** A held lock; `release` gives it up (only when it is still ours). */
export interface StateLock {
  readonly holder: LockHolder;
  release(): Promise<void>;
}

/** Another run of the same pipeline holds its state: two runs would interleave their states and their sources' positions. */
export class StateLockedError extends MageError {
  constructor(
    message: string,
    readonly holder: LockHolder,
    hint: string,
  ) {
    super('STATE_LOCKED', message, { hint });
  }
}

/** State (field 3: R, S, Z…) and start time in clock ticks since boot (field 22) of /proc/<pid>/stat, where there is a /proc. */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Whether the holder still runs on this host (EPERM: it exists, owned by someone else). A killed process its parent
 * has not reaped yet (a zombie) has ended, and a pid now used by another process (other start time) is not the holder.
 */
function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = processStat(holder.pid);
  if (!stat) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.process_start === undefined || stat.start === holder.process_start;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.started_at === 'string')
      return parsed as LockHolder;
  } catch {
    // Missing, or a holder still writing it: the caller looks again.
  }
  return undefined;
}

const sameHolder = (a: LockHolder | undefined, b: LockHolder | undefined) =>
  a !== undefined && b !== undefined && a.pid === b.pid && a.host === b.host && a.started_at === b.started_at;

/**
 * Takes the lock file at `path` for pipeline `pipelineId`: created exclusively, holding pid, host and start time. When
 * it exists, a holder that is a process gone from this host (killed, crashed) is stale and its lock is taken over;
 * any other holder makes this a StateLockedError naming it. A holder on another host cannot be checked and is
 * trusted.
 */
export async function acquireStateLock(path: string, pipelineId: string): Promise<StateLock> {
  const start = processStat(process.pid)?.start;
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started_at: new Date().toISOString(),
    ...(start ? { process_start: start } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(holder) + '\n');
      } finally {
        await handle.close();
      }
      return { holder, release: () => releaseLock(path, holder) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = await readHolder(path);
    if (!current) {
      // Created a moment ago and not yet written, or removed just now: look again shortly.
      if (attempt < 20) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      throw new StateLockedError(
        `the state of pipeline "${pipelineId}" is locked by ${path}, which names no holder`,
        { pid: 0, host: '', started_at: '' },
        `if no run of "${pipelineId}" is going on, delete ${path}`,
      );
    }
    if (current.host === holder.host && !isAlive(current)) {
      if (attempt < 20) {
        await removeStale(path, current);
        continue;
      }
    }
    throw new StateLockedError(
      `pipeline "${pipelineId}" is already running: process ${current.pid} on ${current.host}, started ${current.started_at}, holds its state`,
      current,
      current.host === holder.host
        ? `wait for that run to finish, or stop it (kill ${current.pid}); two runs at once would overwrite each other's state`
        : `wait for that run to finish; if it is gone (the host ${current.host} cannot be checked from here), delete ${path}`,
    );
  }
}

/**
 * Moves a stale lock aside, atomically, and checks it was the stale one: another process may have taken it over
 * between our read and the move, in which case its fresh lock is put back (link does not overwrite).
 */
async function removeStale(path: string, stale: LockHolder): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // gone already: try to create it again
  }
  const moved = await readHolder(aside);
  if (!sameHolder(moved, stale)) await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
}

async function releaseLock(path: string, holder: LockHolder): Promise<void> {
  if (sameHolder(await readHolder(path), holder)) await rm(path, { force: true });
}
