import { randomUUID } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../connector/logger.js';
import type { Executor, RunInfo, RunRequest, ScheduleInfo } from './executor.js';
import { planRun } from './run-plan.js';
import { runPipelineTask } from './run-task.js';

/**
 * Runs submitted pipelines in this process, one task after another, and remembers them while the process lives:
 * the Executor for programs that embed mage-int and for tests. No schedules: those need a queue that outlives a process.
 */
export class InProcessExecutor implements Executor {
  private readonly all = new Map<string, { info: RunInfo; controller: AbortController; done: Promise<void> }>();

  constructor(private readonly logger: Logger = silentLogger) {}

  async submit(request: RunRequest): Promise<{ id: string }> {
    const id = randomUUID();
    const controller = new AbortController();
    const info: RunInfo = { id, pipeline: request.pipeline, status: 'waiting', rows: 0, submittedAt: Date.now(), tasks: [] };
    const done = this.execute(request, info, controller.signal);
    this.all.set(id, { info, controller, done });
    return { id };
  }

  /** Resolves when the run has ended, whatever its outcome. */
  async settled(id: string): Promise<RunInfo | undefined> {
    await this.all.get(id)?.done;
    return this.run(id);
  }

  private async execute(request: RunRequest, info: RunInfo, signal: AbortSignal): Promise<void> {
    await Promise.resolve(); // submit returns first
    info.status = 'running';
    info.startedAt = Date.now();
    try {
      const plan = await planRun(request, { logger: this.logger, signal });
      info.pipelineId = plan.pipelineId;
      info.tasks = plan.tasks.map((t) => ({
        streams: t.streams,
        ...(t.keyRange ? { keyRange: t.keyRange } : {}),
        status: 'waiting',
        rows: 0,
        attempts: 0,
      }));
      for (const [index, task] of plan.tasks.entries()) {
        const taskInfo = info.tasks[index]!;
        taskInfo.status = 'running';
        taskInfo.attempts++;
        try {
          const result = await runPipelineTask(request, task, { signal });
          taskInfo.rows = result.rows;
          taskInfo.status = 'completed';
          info.rows += result.rows;
        } catch (error) {
          taskInfo.status = 'failed';
          taskInfo.error = (error as Error).message;
          throw error;
        }
      }
      info.status = 'completed';
    } catch (error) {
      info.status = signal.aborted ? 'cancelled' : 'failed';
      info.error = (error as Error).message;
    } finally {
      info.finishedAt = Date.now();
    }
  }

  async runs(options: { limit?: number } = {}): Promise<RunInfo[]> {
    return [...this.all.values()]
      .map((r) => structuredClone(r.info))
      .reverse()
      .slice(0, options.limit ?? 50);
  }

  async run(id: string): Promise<RunInfo | undefined> {
    const entry = this.all.get(id);
    return entry && structuredClone(entry.info);
  }

  async cancel(id: string): Promise<boolean> {
    const entry = this.all.get(id);
    if (!entry) return false;
    entry.controller.abort(new Error(`run ${id} cancelled`));
    return true;
  }

  schedule(_request: RunRequest, _cron: string, _id: string): Promise<ScheduleInfo> {
    return Promise.reject(
      new ConfigError('SCHEDULE_UNSUPPORTED', 'the in-process executor has no schedules', {
        hint: 'run workers (`mage-int worker --redis URL`) and schedule with `mage-int schedule`',
      }),
    );
  }

  async schedules(): Promise<ScheduleInfo[]> {
    return [];
  }

  async unschedule(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    for (const entry of this.all.values()) entry.controller.abort(new Error('executor closed'));
    await Promise.all([...this.all.values()].map((r) => r.done));
  }
}
