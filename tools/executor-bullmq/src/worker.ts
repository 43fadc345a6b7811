import { hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingChildrenError, WaitingError, Worker, type Job } from 'bullmq';
import {
  formatError,
  planRun,
  redactor,
  runPipelineTask,
  taskPhases,
  type Logger,
  type LogLevel,
  type RunTask,
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

/** The worker is shutting down: its running jobs stop and go back to the queue for another worker. */
class WorkerStopping extends Error {}

/** A job failure as stored in Redis: its message with the pipeline's secrets redacted, and no stack (it would repeat them). */
function storedError(error: unknown, secrets: readonly string[], unrecoverable = false): Error {
  const message = redactor(secrets)(formatError(error));
  const stored = unrecoverable ? new UnrecoverableError(message) : new Error(message);
  stored.stack = message;
  return stored;
}

export interface RunningWorker {
  readonly name: string;
  /**
   * Stops taking jobs. Running jobs may finish within `graceSeconds` (default 0); the ones still running then are
   * stopped and handed back to the queue (their committed state is kept; another worker continues from it).
   */
  close(options?: { graceSeconds?: number }): Promise<void>;
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
  const active = new Map<string, { runId: string; controller: AbortController; stopAtOnce: boolean }>();
  const records = new WorkerRunRecords();
  /**
   * Writes a run's record under a lock in Redis (tasks of one run end on several workers at once, and each read-modify-
   * writes the record). Run records are a view for people: failing to write one is said, never fails the run.
   */
  const recording = async (runId: string, write: () => Promise<void>): Promise<void> => {
    const key = `${config.prefix}:${config.queue}:mage-int:record-lock:${runId}`;
    const owner = `${name}:${Math.random()}`;
    try {
      for (let waited = 0; (await redis.set(key, owner, 'PX', 10_000, 'NX')) !== 'OK'; waited += 50) {
        if (waited > 10_000) throw new Error('the run record stayed locked for 10 s');
        await new Promise((ok) => setTimeout(ok, 50));
      }
      try {
        await write();
      } finally {
        if ((await redis.get(key)) === owner) await redis.del(key);
      }
    } catch (error) {
      say(`could not write the run record of ${runId}: ${formatError(error)}`);
    }
  };

  let stopping = false;

  /** The connectors' lines while a run is planned, redacted with the pipeline's secrets once they are known. */
  function planLogger(secrets: TaskSecrets): Logger {
    const line = (prefix: string) => (message: string) => say(redactor(secrets.secrets)(`${prefix}${message}`));
    const logger: Logger = { debug: () => {}, info: line(''), warn: line('warning: '), error: line('error: '), child: () => logger };
    return logger;
  }

  async function cancelled(runId: string): Promise<boolean> {
    return (await redis.exists(cancelKey(config, runId))) === 1;
  }

  /**
   * Runs a job's work with an abort signal for cancels and shutdown. Stopped by the worker's shutdown, the job is
   * handed back to the queue (waiting, no attempt used: its committed state is kept, the rest is read by the next
   * worker), whether the work then failed or ended early (a follow-mode run drains and commits on abort).
   * `stopAtOnce`: a LOG_BASED task (in follow mode it never finishes) is stopped when shutdown begins, not after the grace.
   */
  async function track<T>(
    job: Job,
    token: string | undefined,
    runId: string,
    work: (signal: AbortSignal) => Promise<T>,
    stopAtOnce = false,
  ): Promise<T> {
    const controller = new AbortController();
    active.set(job.id!, { runId, controller, stopAtOnce });
    if (stopping) controller.abort(new WorkerStopping(`worker ${name} is stopping`));
    // Checked once the job is registered: a cancel published from now on aborts it, and one published before (while
    // the task waited for its reader lock, say) had set the flag read here first. Checked before, a cancel in between
    // was lost and a follow-mode task then ran on.
    if (await cancelled(runId)) {
      active.delete(job.id!);
      throw new UnrecoverableError(`run ${runId} was cancelled`);
    }
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await work(controller.signal) };
    } catch (error) {
      outcome = { error };
    } finally {
      active.delete(job.id!);
    }
    if (controller.signal.reason instanceof WorkerStopping && token) {
      await job.moveToWait(token);
      say(`job ${job.id} handed back to the queue (worker stopping)`);
      throw new WaitingError();
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** Adds the run's tasks of one phase (1: all but the finalize steps, 2: those) as children of its job. */
  async function queueTasks(job: Job<RunJobData>, data: RunJobData, phase: 1 | 2): Promise<void> {
    const runId = job.id!;
    const request = {
      pipeline: data.pipeline,
      ...(data.streams ? { streams: data.streams } : {}),
      ...(data.fullRefresh ? { fullRefresh: true } : {}),
    };
    const [first, second] = taskPhases(data.tasks ?? []);
    const tasks = phase === 1 ? first : second;
    const offset = phase === 1 ? 0 : first.length;
    await queue.addBulk(
      tasks.map((task, i) => ({
        name: TASK_JOB,
        data: { run: request, runId, pipelineId: data.pipelineId!, task } as TaskJobData,
        opts: {
          jobId: data.taskJobs![offset + i],
          parent: { id: runId, queue: job.queueQualifiedName },
          failParentOnFailure: true,
          ...RETRY,
          ...KEEP,
        },
      })),
    );
  }

  async function processRun(job: Job<RunJobData>, token: string | undefined): Promise<unknown> {
    const runId = job.id!;
    const data = job.data;
    if (data.step !== 'wait') {
      const secrets: TaskSecrets = { secrets: [] };
      const plan = await track(job, token, runId, async (signal) => {
        try {
          return await planRun(data, { logger: planLogger(secrets), signal }, secrets);
        } catch (error) {
          throw storedError(error, secrets.secrets, signal.reason instanceof RunCancelled);
        }
      });
      // Phase 1 first: every task but the finalize steps of split streams, which wait for all of them.
      const tasks = taskPhases(plan.tasks.filter((t) => t.streams.length > 0)).flat();
      // Ids from the run's: planning again after a crash finds the tasks already queued instead of adding them twice.
      const taskJobs = tasks.map((_, i) => `${runId.replace(/:/g, '_')}-task-${i + 1}`);
      const planned: RunJobData = {
        ...data,
        step: 'wait',
        pipelineId: plan.pipelineId,
        tasks,
        taskJobs,
        startedAt: data.startedAt ?? Date.now(),
      };
      await queueTasks(job, planned, 1);
      await recording(runId, () => records.planned(runId, planned, job.timestamp));
      await job.updateData(planned);
      say(
        `run ${runId} (${plan.pipelineId}): ${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${tasks.map(taskLabel).join(' ') || 'nothing selected'}`,
      );
      if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
    }
    if (job.data.phase !== 2 && (job.data.tasks ?? []).some((t) => t.keyRange?.finalize)) {
      // Every range is read: the finalize steps of the split streams.
      await queueTasks(job, job.data, 2);
      await job.updateData({ ...job.data, phase: 2 });
      if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
    }
    const values = Object.values(await job.getChildrenValues<TaskJobResult>());
    const streams = Object.assign({}, ...values.map((v) => v.streams)) as Record<string, number>;
    await recording(runId, () => records.completed(runId, job.data));
    say(`run ${runId} (${job.data.pipelineId ?? data.pipeline}): completed`);
    return { streams, rows: values.reduce((sum, v) => sum + v.rows, 0), tasks: values.length };
  }

  async function processTask(job: Job<TaskJobData>, token: string | undefined): Promise<TaskJobResult> {
    const { run, runId, task, pipelineId } = job.data;
    const label = `run ${runId} (${pipelineId}) ${taskLabel(task)}`;
    // The task's place in the run's plan, from its job id (`<run>-task-<n>`).
    const where = { pipeline: run.pipeline, pipelineId, index: Number(/-task-(\d+)$/.exec(job.id ?? '')?.[1] ?? 1) - 1 };
    const range = task.keyRange ? { keyRange: task.keyRange } : {};
    // Before the reader lock: a cancelled run's task must not wait for (or take) anything.
    if (await cancelled(runId)) {
      await recording(runId, () =>
        records.taskEnded(
          runId,
          where,
          { streams: task.streams, ...range, status: 'cancelled', rows: 0, attempts: job.attemptsMade },
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
      return await track(
        job,
        token,
        runId,
        async (signal) => {
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
            await recording(runId, () =>
              records.taskEnded(
                runId,
                where,
                {
                  streams: task.streams,
                  ...range,
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
            const stopping = signal.reason instanceof WorkerStopping;
            const stored = storedError(error, secrets.secrets, cancelledRun);
            say(`${label}: ${stopping ? 'stopped' : 'failed'}: ${stored.message}`);
            // The last attempt (or a cancelled run): the run ends here, and its record says so. A job handed back is not.
            if (cancelledRun || (!stopping && job.attemptsMade + 1 >= (job.opts.attempts ?? 1))) {
              const status = cancelledRun ? 'cancelled' : 'failed';
              await recording(runId, () =>
                records.taskEnded(
                  runId,
                  where,
                  {
                    streams: task.streams,
                    ...range,
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
          } finally {
            // Before the job is handed back: its next worker takes the reader lock at once.
            await releaseReader?.();
          }
        },
        task.logBased === true,
      );
    } finally {
      await releaseReader?.();
    }
  }

  const workerConnection = redisClient(config.redis, { worker: true });
  const worker = new Worker<RunJobData | TaskJobData>(
    config.queue,
    async (job, token) => {
      if (job.name === RUN_JOB) return processRun(job as Job<RunJobData>, token);
      if (job.name === TASK_JOB) return processTask(job as Job<TaskJobData>, token);
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
    async close({ graceSeconds = 0 } = {}) {
      stopping = true;
      const closing = worker.close();
      const stop = (all: boolean) => {
        for (const entry of active.values())
          if (all || entry.stopAtOnce) entry.controller.abort(new WorkerStopping(`worker ${name} is stopping`));
      };
      stop(graceSeconds <= 0);
      const stopAll = () => stop(true);
      // Most of the grace to finish; the last quarter (at least 2 s) to stop, commit and hand back.
      const timer = setTimeout(stopAll, Math.max(0, Math.min(graceSeconds * 750, graceSeconds * 1000 - 2000)));
      try {
        await closing;
      } finally {
        clearTimeout(timer);
      }
      await queue.close();
      // BullMQ closes the connections it made, not the ones it was given.
      workerConnection.disconnect();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}

/** `[public-orders]`, `[public-orders range 2/4]`, `[public-orders finalize 4 ranges]`. */
function taskLabel(task: RunTask): string {
  const range = task.keyRange;
  const suffix = !range ? '' : range.finalize ? ` finalize ${range.count} ranges` : ` range ${range.index}/${range.count}`;
  return `[${task.streams.join(', ')}${suffix}]`;
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
