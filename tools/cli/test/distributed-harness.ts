// What the distributed-run tests share: `mage-int worker` processes with their output kept, polling until a
// condition holds (failing with every worker's output), and the end-of-file cleanup of a Redis prefix.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunInfo } from '@mage-int/core';
import type { BullmqExecutor } from '@mage-int/executor-bullmq';
import type { Redis } from 'ioredis';
import { startCli } from './cli-harness.js';

export interface WorkerPool {
  readonly workers: ChildProcess[];
  readonly logs: Map<ChildProcess, string>;
  /** Starts `mage-int worker` with the pool's arguments plus `extra`. */
  start(extra?: readonly string[]): ChildProcess;
  /** Resolves once `count` workers of the pool said they are ready. */
  ready(count: number): Promise<void>;
  /** The worker process a task ran on (`host:pid` from RunTaskInfo.worker). */
  byName(name: string): ChildProcess | undefined;
  /** Polls `probe` every 200 ms until it returns a truthy value; fails with the workers' output after `timeoutMs`. */
  until<T>(what: string, probe: () => Promise<T | undefined | false | null | 0>, timeoutMs?: number): Promise<T>;
  /** SIGKILLs every worker still running. */
  killAll(): void;
}

export function workerPool(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): WorkerPool {
  const workers: ChildProcess[] = [];
  const logs = new Map<ChildProcess, string>();
  const pool: WorkerPool = {
    workers,
    logs,
    start(extra = []) {
      const child = startCli(['worker', ...args, ...extra], { cwd: options.cwd, ...(options.env ? { env: options.env } : {}) });
      logs.set(child, '');
      const append = (chunk: Buffer) => logs.set(child, logs.get(child) + chunk.toString());
      child.stdout!.on('data', append);
      child.stderr!.on('data', append);
      workers.push(child);
      return child;
    },
    async ready(count) {
      await pool.until(`${count} workers`, async () => [...logs.values()].filter((l) => l.includes('ready: queue')).length >= count);
    },
    byName: (name) => workers.find((w) => w.pid === Number(name.split(':').pop())),
    async until(what, probe, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${[...logs.values()].join('\n')}`);
        await sleep(200);
      }
    },
    killAll() {
      for (const child of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  return pool;
}

/** The run once it has finished (completed, failed or cancelled). */
export const finished = (run: RunInfo | undefined) => run && ['completed', 'failed', 'cancelled'].includes(run.status) && run;

/** The end of a distributed-run test file: its workers killed, its queue and every Redis key under its prefix removed. */
export async function removeQueue(pool: WorkerPool, executor: BullmqExecutor, redis: Redis, prefix: string): Promise<void> {
  pool.killAll();
  await executor.queue.obliterate({ force: true }).catch(() => {});
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await executor.close();
}
