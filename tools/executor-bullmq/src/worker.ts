import { hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingChildrenError, Worker, type Job } from 'bullmq';
import {
  formatError,
  planRun,
  redactor,
  runPipelineTask,
  type Logger,
  type LogLevel,
  type StreamPhase,
  type TaskSecrets,
} from '@mage-int/core';
import { acquireReaderLock } from './reader-lock.js';
import { WorkerRunRecords } from './run-records.js';
import {
  cancelChannel,
  cancelKey,
  KEEP,
  redisClient,
  resolveQueueConfig,
  RETRY,
  RUN_JOB,
  TASK_JOB,
  type QueueConfig,
  type RunJobData,
  type TaskJobData,
  type TaskJobProgress,
  type TaskJobResult,
} from './queue-config.js';

export interface WorkerOptions extends QueueConfig {
  /** Jobs run at once by this worker (default 1). */
  concurrency?: number;
  /**
   * Seconds a job stays locked to a worker that stopped renewing it (killed, or its machine gone) before another worker
   * retries it (default 30). Live workers renew their locks every half of it.
   */
  lockSeconds?: number;
  logLevel?: LogLevel;
  /** Where the worker's lines go (default stderr). */
  write?: (line: string) => void;
}

/** A run was cancelled (`mage-int runs cancel`): its parts stop and are not retried. */
class RunCancelled extends Error {}

/** A job failure as stored in Redis: its message with the pipeline's secrets redacted, and no stack (it would repeat them). */
function storedError(error: unknown, secrets: readonly string[], unrecoverable = false): Error {
  const message = redactor(secrets)(formatError(error));
  const stored = unrecoverable ? new UnrecoverableError(message) : new Error(message);
  stored.stack = message;
  return stored;
}

export interface RunningWorker {
  readonly name: string;
  /** Stops taking jobs; running ones are aborted (their committed state is kept) and retried by other workers. */
  close(): Promise<void>;
}

/** Starts a worker: takes run jobs (plans them into task jobs) and task jobs (runs some streams of a pipeline). */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const config = resolveQueueConfig(options);
  const name = `${hostname()}:${process.pid}`;
  const lockMs = (options.lockSeconds ?? 30) * 1000;
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const say = (line: string) => write(`${new Date().toISOString()} ${line}`);
  const redis = redisClient(config.redis);
  const subscriber = redisClient(config.redis);
  const queue = new Queue<RunJobData | TaskJobData>(config.queue, { connection: redis, prefix: config.prefix });
  const active = new Map<string, { runId: string; controller: AbortController }>();
  const records = new WorkerRunRecords();
  /** Run records are a view for people: failing to write one is said, never fails the run. */
  const recording = (what: Promise<void>) => what.catch((error: unknown) => say(`could not write the run record: ${formatError(error)}`));

  /** The connectors' lines while a run is planned, redacted with the pipeline's secrets once they are known. */
  function planLogger(secrets: TaskSecrets): Logger {
    const line = (prefix: string) => (message: string) => say(redactor(secrets.secrets)(`${prefix}${message}`));
    const logger: Logger = { debug: () => {}, info: line(''), warn: line('warning: '), error: line('error: '), child: () => logger };
    return logger;
  }

  async function cancelled(runId: string): Promise<boolean> {
    return (await redis.exists(cancelKey(config, runId))) === 1;
  }

  async function track<T>(job: Job, runId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (await cancelled(runId)) throw new UnrecoverableError(`run ${runId} was cancelled`);
    const controller = new AbortController();
    active.set(job.id!, { runId, controller });
    try {
      return await work(controller.signal);
    } finally {
      active.delete(job.id!);
    }
  }

  async function processRun(job: Job<RunJobData>, token: string | undefined): Promise<unknown> {
    const runId = job.id!;
    const data = job.data;
    if (data.step !== 'wait') {
      const secrets: TaskSecrets = { secrets: [] };
      const plan = await track(job, runId, async (signal) => {
        try {
          return await planRun(data, { logger: planLogger(secrets), signal }, secrets);
        } catch (error) {
          throw storedError(error, secrets.secrets, signal.reason instanceof RunCancelled);
        }
      });
      const tasks = plan.tasks.filter((t) => t.streams.length > 0);
      // Ids from the run's: planning again after a crash finds the tasks already queued instead of adding them twice.
      const taskJobs = tasks.map((_, i) => `${runId.replace(/:/g, '_')}-task-${i + 1}`);
      const request = {
        pipeline: data.pipeline,
        ...(data.streams ? { streams: data.streams } : {}),
        ...(data.fullRefresh ? { fullRefresh: true } : {}),
      };
      await queue.addBulk(
        tasks.map((task, i) => ({
          name: TASK_JOB,
          data: { run: request, runId, pipelineId: plan.pipelineId, task } as TaskJobData,
          opts: { jobId: taskJobs[i], parent: { id: runId, queue: job.queueQualifiedName }, failParentOnFailure: true, ...RETRY, ...KEEP },
        })),
      );
      const waiting: RunJobData = {
        ...data,
        step: 'wait',
        pipelineId: plan.pipelineId,
        tasks,
        taskJobs,
        startedAt: data.startedAt ?? Date.now(),
      };
      await recording(records.planned(runId, waiting, job.timestamp));
      await job.updateData(waiting);
      say(
        `run ${runId} (${plan.pipelineId}): ${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${tasks.map((t) => `[${t.streams.join(', ')}]`).join(' ') || 'nothing selected'}`,
      );
      if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
    }
    const values = Object.values(await job.getChildrenValues<TaskJobResult>());
    const streams = Object.assign({}, ...values.map((v) => v.streams)) as Record<string, number>;
    await recording(records.completed(runId, job.data));
    say(`run ${runId} (${job.data.pipelineId ?? data.pipeline}): completed`);
    return { streams, rows: values.reduce((sum, v) => sum + v.rows, 0), tasks: values.length };
  }

  async function processTask(job: Job<TaskJobData>): Promise<TaskJobResult> {
    const { run, runId, task, pipelineId } = job.data;
    const label = `run ${runId} (${pipelineId}) [${task.streams.join(', ')}]`;
    const where = { pipeline: run.pipeline, pipelineId };
    // Before the reader lock: a cancelled run's task must not wait for (or take) anything.
    if (await cancelled(runId)) {
      await recording(
        records.taskEnded(
          runId,
          where,
          { streams: task.streams, status: 'cancelled', rows: 0, attempts: job.attemptsMade },
          { status: 'cancelled' },
        ),
      );
      throw new UnrecoverableError(`run ${runId} was cancelled`);
    }
    say(`${label}: started (attempt ${job.attemptsMade + 1})`);
    const secrets: TaskSecrets = { secrets: [] };
    const releaseReader = task.logBased
      ? await acquireReaderLock(redis, `${config.prefix}:${config.queue}:mage-int:reader:${pipelineId}`, pipelineId, lockMs).catch(
          (error: unknown) => {
            say(`${label}: ${formatError(error)}`);
            throw storedError(error, []);
          },
        )
      : undefined;
    try {
      return await track(job, runId, async (signal) => {
        let reported = 0;
        let lastPhases = '';
        // Each stream's phases as the runner reports them, with when each began.
        const timelines: Record<string, { phase: StreamPhase; at: number }[]> = {};
        let latestRows: Record<string, number> = {};
        try {
          const result = await runPipelineTask(
            run,
            task,
            {
              signal,
              ...(options.logLevel ? { logLevel: options.logLevel } : {}),
              write: (line) => write(`[${label}] ${line}`),
              onProgress: (progress) => {
                const phases: Record<string, StreamPhase> = {};
                for (const [name, info] of Object.entries(progress.phases ?? {})) {
                  phases[name] = info.phase;
                  const timeline = (timelines[name] ??= []);
                  if (timeline.at(-1)?.phase !== info.phase) timeline.push({ phase: info.phase, at: info.since });
                }
                latestRows = Object.fromEntries(Object.values(progress.streams).map((s) => [s.stream, s.records]));
                for (const name of Object.keys(phases)) latestRows[name] ??= 0;
                // Redis hears of a new phase at once, of rows at most every second.
                const phaseKey = JSON.stringify(phases);
                const now = Date.now();
                if (now - reported < 1000 && phaseKey === lastPhases) return;
                reported = now;
                lastPhases = phaseKey;
                const rows = Object.values(progress.streams).reduce((sum, s) => sum + s.records, 0);
                const update: TaskJobProgress = { rows, committedStates: progress.committedStates, streams: latestRows, phases };
                void job.updateProgress(update as never).catch(() => {});
              },
            },
            secrets,
          );
          say(`${label}: done, ${result.rows} rows in ${(result.durationMs / 1000).toFixed(1)} s`);
          await recording(
            records.taskEnded(
              runId,
              where,
              {
                streams: task.streams,
                status: 'completed',
                rows: result.rows,
                attempts: job.attemptsMade + 1,
                worker: name,
                streamRows: result.streams,
                timelines,
              },
              { status: 'running', committedStates: result.committedStates },
            ),
          );
          return {
            streams: result.streams,
            rows: result.rows,
            committedStates: result.committedStates,
            durationMs: result.durationMs,
            phases: timelines,
          };
        } catch (error) {
          const cancelledRun = signal.reason instanceof RunCancelled;
          const stored = storedError(error, secrets.secrets, cancelledRun);
          say(`${label}: failed: ${stored.message}`);
          // The last attempt (or a cancelled run): the run ends here, and its record says so.
          if (cancelledRun || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
            const status = cancelledRun ? 'cancelled' : 'failed';
            await recording(
              records.taskEnded(
                runId,
                where,
                {
                  streams: task.streams,
                  status,
                  rows: Object.values(latestRows).reduce((a, b) => a + b, 0),
                  attempts: job.attemptsMade + 1,
                  worker: name,
                  error: stored.message,
                  streamRows: latestRows,
                  timelines,
                },
                { status, error: stored.message },
              ),
            );
          }
          throw stored;
        }
      });
    } finally {
      await releaseReader?.();
    }
  }

  const workerConnection = redisClient(config.redis, { worker: true });
  const worker = new Worker<RunJobData | TaskJobData>(
    config.queue,
    async (job, token) => {
      if (job.name === RUN_JOB) return processRun(job as Job<RunJobData>, token);
      if (job.name === TASK_JOB) return processTask(job as Job<TaskJobData>);
      throw new UnrecoverableError(`unknown job ${job.name}`);
    },
    {
      connection: workerConnection,
      prefix: config.prefix,
      concurrency: options.concurrency ?? 1,
      name,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 2,
    },
  );
  worker.on('error', (error) => say(`error: ${error.message}`));

  await subscriber.subscribe(cancelChannel(config));
  subscriber.on('message', (_channel: string, runId: string) => {
    for (const entry of active.values()) {
      if (entry.runId === runId) entry.controller.abort(new RunCancelled(`run ${runId} was cancelled`));
    }
  });
  await worker.waitUntilReady();
  say(
    `worker ${name} ready: queue ${config.prefix}:${config.queue} on ${redactedUrl(config.redis)}, concurrency ${options.concurrency ?? 1}`,
  );

  return {
    name,
    async close() {
      const closing = worker.close();
      for (const entry of active.values()) entry.controller.abort(new Error(`worker ${name} is stopping`));
      await closing;
      await queue.close();
      // BullMQ closes the connections it made, not the ones it was given.
      workerConnection.disconnect();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}

/** The Redis URL without its password, for log lines. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
