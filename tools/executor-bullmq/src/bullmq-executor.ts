import { resolve } from 'node:path';
import { Job, Queue, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Executor, RunInfo, RunRequest, RunStatus, RunTaskInfo, ScheduleInfo } from '@mage-int/core';
import {
  cancelChannel,
  cancelKey,
  KEEP,
  redisClient,
  resolveQueueConfig,
  RETRY,
  RUN_JOB,
  type QueueConfig,
  type RunJobData,
  type TaskJobProgress,
  type TaskJobResult,
} from './queue-config.js';

function statusOf(state: JobState | 'unknown', cancelled: boolean): RunStatus {
  if (cancelled) return state === 'completed' || state === 'failed' || state === 'unknown' ? 'cancelled' : 'cancelling';
  switch (state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'active':
    case 'waiting-children':
      return 'running';
    default:
      return 'waiting';
  }
}

function rowsOf(value: unknown): number {
  const rows = (value as Partial<TaskJobResult> | undefined)?.rows;
  return typeof rows === 'number' ? rows : 0;
}

/**
 * Runs on workers through a BullMQ queue in Redis: `submit` adds a run job; a worker plans it into task jobs (its
 * children) that any worker takes. Jobs hold the pipeline file's path and the run's options, never config values.
 */
export class BullmqExecutor implements Executor {
  readonly config: Required<QueueConfig>;
  private readonly connection: Redis;
  readonly queue: Queue<RunJobData>;

  constructor(config: QueueConfig = {}) {
    this.config = resolveQueueConfig(config);
    this.connection = redisClient(this.config.redis);
    this.queue = new Queue<RunJobData>(this.config.queue, { connection: this.connection, prefix: this.config.prefix });
  }

  async submit(request: RunRequest): Promise<{ id: string }> {
    const job = await this.queue.add(RUN_JOB, { ...request, pipeline: resolve(request.pipeline), step: 'plan' }, { ...RETRY, ...KEEP });
    return { id: job.id! };
  }

  async runs(options: { limit?: number } = {}): Promise<RunInfo[]> {
    const limit = options.limit ?? 20;
    // Task jobs share the queue: read more than asked for and keep the runs.
    const jobs = await this.queue.getJobs(
      ['active', 'waiting', 'waiting-children', 'delayed', 'prioritized', 'completed', 'failed'],
      0,
      limit * 20,
    );
    const runs = jobs
      .filter((j) => j.name === RUN_JOB)
      .sort((a, b) => b.timestamp - a.timestamp)
      .slice(0, limit);
    return Promise.all(runs.map((job) => this.describe(job as Job<RunJobData>)));
  }

  async run(id: string): Promise<RunInfo | undefined> {
    const job = await Job.fromId<RunJobData>(this.queue, id);
    return job && job.name === RUN_JOB ? this.describe(job) : undefined;
  }

  private async describe(job: Job<RunJobData>): Promise<RunInfo> {
    const [state, cancelled] = await Promise.all([job.getState(), this.connection.exists(cancelKey(this.config, job.id!))]);
    const data = job.data;
    const tasks: RunTaskInfo[] = await Promise.all(
      (data.tasks ?? []).map(async (task, index): Promise<RunTaskInfo> => {
        const id = data.taskJobs?.[index];
        const child = id ? await Job.fromId<unknown, TaskJobResult>(this.queue, id) : undefined;
        const range = task.keyRange ? { keyRange: task.keyRange } : {};
        // Not queued yet (a finalize step waits for the ranges), or removed.
        if (!child)
          return {
            streams: task.streams,
            ...range,
            status: statusOf(state === 'completed' || state === 'failed' ? state : 'waiting', cancelled === 1),
            rows: 0,
            attempts: 0,
          };
        const childState = await child.getState();
        const done = childState === 'completed' ? (child.returnvalue as Partial<TaskJobResult> | undefined) : undefined;
        const progress = done ? undefined : (child.progress as Partial<TaskJobProgress> | undefined);
        const streamRows = done?.streams ?? (typeof progress === 'object' ? progress?.streams : undefined);
        const phases = done?.phases
          ? Object.fromEntries(Object.entries(done.phases).map(([name, list]) => [name, list.at(-1)?.phase ?? 'done']))
          : typeof progress === 'object'
            ? progress?.phases
            : undefined;
        return {
          streams: task.streams,
          ...range,
          status: statusOf(childState, cancelled === 1),
          rows: childState === 'completed' ? rowsOf(child.returnvalue) : rowsOf(child.progress),
          attempts: child.attemptsMade + (childState === 'active' ? 1 : 0),
          ...(child.processedBy ? { worker: child.processedBy } : {}),
          ...(child.failedReason ? { error: child.failedReason } : {}),
          ...(streamRows ? { streamRows } : {}),
          ...(phases ? { phases } : {}),
        };
      }),
    );
    const status = statusOf(state, cancelled === 1);
    return {
      id: job.id!,
      pipeline: data.pipeline,
      ...(data.pipelineId ? { pipelineId: data.pipelineId } : {}),
      status,
      rows: tasks.reduce((sum, t) => sum + t.rows, 0),
      submittedAt: job.timestamp,
      ...(data.startedAt ? { startedAt: data.startedAt } : {}),
      ...(job.finishedOn && (status === 'completed' || status === 'failed' || status === 'cancelled')
        ? { finishedAt: job.finishedOn }
        : {}),
      ...(job.failedReason ? { error: job.failedReason } : {}),
      tasks,
      ...(job.repeatJobKey ? { schedule: job.repeatJobKey } : {}),
    };
  }

  async cancel(id: string): Promise<boolean> {
    const job = await Job.fromId<RunJobData>(this.queue, id);
    if (!job || job.name !== RUN_JOB) return false;
    // The flag stops parts that have not started; the message aborts the ones running (their committed state stays).
    await this.connection.set(cancelKey(this.config, id), '1', 'EX', 7 * 24 * 3600);
    await this.connection.publish(cancelChannel(this.config), id);
    // Parts waiting out a retry's backoff run now, only to find the flag and fail for good.
    for (const jobId of [id, ...(job.data.taskJobs ?? [])]) {
      const part = jobId === id ? job : await Job.fromId(this.queue, jobId);
      if (part && (await part.getState()) === 'delayed') await part.promote().catch(() => {});
    }
    return true;
  }

  async schedule(request: RunRequest, cron: string, id: string): Promise<ScheduleInfo> {
    const data: RunJobData = { ...request, pipeline: resolve(request.pipeline), step: 'plan' };
    const next = await this.queue.upsertJobScheduler(id, { pattern: cron }, { name: RUN_JOB, data, opts: { ...RETRY, ...KEEP } });
    return { id, pipeline: data.pipeline, cron, ...(next?.timestamp ? { next: next.timestamp + (next.delay ?? 0) } : {}) };
  }

  async schedules(): Promise<ScheduleInfo[]> {
    const all = await this.queue.getJobSchedulers(0, -1, true);
    return all.map((s) => ({
      id: s.key,
      pipeline: (s.template?.data as RunJobData | undefined)?.pipeline ?? '',
      cron: s.pattern ?? `every ${s.every} ms`,
      ...(s.next ? { next: s.next } : {}),
    }));
  }

  async unschedule(id: string): Promise<boolean> {
    return this.queue.removeJobScheduler(id);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
