import { Redis } from 'ioredis';
import type { RunRequest, RunTask, StreamPhase } from '@mage-int/core';

/** Where the queue lives: one Redis, a key prefix (separate deployments on one Redis), a queue name. */
export interface QueueConfig {
  /** redis://[user:password@]host:6379[/db] (rediss:// for TLS). Default MAGE_INT_REDIS_URL, else redis://127.0.0.1:6379. */
  redis?: string;
  /** Prefix of every key (BullMQ's `prefix`). Default `mage-int`. */
  prefix?: string;
  /** Default `runs`. */
  queue?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function resolveQueueConfig(config: QueueConfig): Required<QueueConfig> {
  return {
    redis: config.redis ?? process.env['MAGE_INT_REDIS_URL'] ?? DEFAULT_REDIS_URL,
    prefix: config.prefix ?? 'mage-int',
    queue: config.queue ?? 'runs',
  };
}

/**
 * An ioredis client made here (BullMQ under ESM takes clients, not options). A worker's blocking connection needs
 * `maxRetriesPerRequest: null` so a Redis restart pauses it instead of failing its commands.
 */
export function redisClient(url: string, options: { worker?: boolean } = {}): Redis {
  return new Redis(url, { ...(options.worker ? { maxRetriesPerRequest: null } : {}), lazyConnect: false, connectionName: 'mage-int' });
}

/** The job of a run: the parent of its tasks. Holds a file reference and options, never config values or secrets. */
export interface RunJobData extends RunRequest {
  /** `plan` until the tasks are queued, then `wait` (processed again once every task has finished). */
  step?: 'plan' | 'wait';
  /** 2 once the finalize steps of split streams are queued (after every other task finished). */
  phase?: 1 | 2;
  pipelineId?: string;
  tasks?: RunTask[];
  /** Job ids of the tasks, in `tasks` order. */
  taskJobs?: string[];
  startedAt?: number;
}

/** The job of one task: some streams of a run. */
export interface TaskJobData {
  run: RunRequest;
  runId: string;
  pipelineId: string;
  task: RunTask;
}

/** What a finished task job returns. */
export interface TaskJobResult {
  streams: Record<string, number>;
  rows: number;
  committedStates: number;
  durationMs: number;
  /** Each stream's phases (by stream name), with when each began. */
  phases?: Record<string, { phase: StreamPhase; at: number }[]>;
}

/** A running task job's progress: rows so far, per stream, and each stream's phase. */
export interface TaskJobProgress {
  rows: number;
  committedStates: number;
  streams?: Record<string, number>;
  phases?: Record<string, StreamPhase>;
}

export const RUN_JOB = 'run';
export const TASK_JOB = 'task';

/** Redis keys of mage-int's own beside BullMQ's: the cancel flags and channel. */
export function cancelKey(config: Required<QueueConfig>, runId: string): string {
  return `${config.prefix}:${config.queue}:mage-int:cancelled:${runId}`;
}

export function cancelChannel(config: Required<QueueConfig>): string {
  return `${config.prefix}:${config.queue}:mage-int:cancel`;
}

/** Retries of a failed task or plan: 5 attempts, 2 s, 4 s, 8 s, 16 s apart. */
export const RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 2000 } } as const;

/** Finished jobs kept for `mage-int runs`: the last 1,000, at most a week. */
export const KEEP = { removeOnComplete: { count: 1000, age: 7 * 24 * 3600 }, removeOnFail: { count: 1000, age: 7 * 24 * 3600 } } as const;
