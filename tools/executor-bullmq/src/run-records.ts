import {
  loadPipelineFile,
  RunRecordStore,
  runsDirFor,
  type RunRecord,
  type RunStreamRecord,
  type RunTaskInfo,
  type StreamPhase,
} from '@mage-int/core';
import type { RunJobData } from './queue-config.js';

/**
 * The run records of runs on the workers, in the same RunRecordStore as runs in process (`<runs dir>/<pipeline
 * id>/<run id>.json` beside the pipeline's state), so `mage-int ui` and anything else reading history sees both.
 * Written by the worker that plans a run, by the one that finishes it, and by the one whose task fails for good.
 */
export class WorkerRunRecords {
  private readonly stores = new Map<string, RunRecordStore>();

  /** The store of a pipeline file (loaded once per file; a pipeline that no longer loads has none). */
  private async storeOf(pipeline: string): Promise<RunRecordStore | undefined> {
    let store = this.stores.get(pipeline);
    if (!store) {
      try {
        store = new RunRecordStore(runsDirFor(await loadPipelineFile(pipeline)));
      } catch {
        return undefined;
      }
      this.stores.set(pipeline, store);
    }
    return store;
  }

  /** The run is planned: its tasks are queued. */
  async planned(runId: string, data: RunJobData, submittedAt: number): Promise<void> {
    const store = await this.storeOf(data.pipeline);
    if (!store || !data.pipelineId) return;
    const existing = await store.get(data.pipelineId, runId).catch(() => undefined);
    await store.save({
      ...existing,
      id: runId,
      pipeline: data.pipeline,
      pipelineId: data.pipelineId,
      status: 'running',
      rows: 0,
      submittedAt,
      startedAt: data.startedAt ?? Date.now(),
      tasks: (data.tasks ?? []).map(
        (t): RunTaskInfo => ({
          streams: t.streams,
          ...(t.keyRange ? { keyRange: t.keyRange } : {}),
          status: 'waiting',
          rows: 0,
          attempts: 0,
        }),
      ),
      ...(data.streams?.length ? { only: data.streams } : {}),
      ...(data.fullRefresh ? { fullRefresh: true } : {}),
      streams: existing?.streams ?? [],
      committedStates: 0,
      executor: 'bullmq',
    });
  }

  /**
   * A task ended: its streams' rows and phases go into the record; `status` is the run's when this ends it (the last
   * task completed, or a task failed for good), else the run keeps running.
   */
  async taskEnded(
    runId: string,
    data: { pipeline: string; pipelineId: string },
    task: RunTaskInfo & { timelines?: Record<string, { phase: StreamPhase; at: number }[]> },
    end: { status: RunRecord['status']; error?: string; committedStates?: number } | undefined,
  ): Promise<void> {
    const store = await this.storeOf(data.pipeline);
    if (!store) return;
    const record = await store.get(data.pipelineId, runId).catch(() => undefined);
    if (!record) return;
    const { timelines, ...info } = task;
    // The key ranges of one stream are tasks of the same streams: told apart by their range.
    const index = record.tasks.findIndex(
      (t) => JSON.stringify(t.streams) === JSON.stringify(task.streams) && JSON.stringify(t.keyRange) === JSON.stringify(task.keyRange),
    );
    if (index >= 0) record.tasks[index] = info;
    else record.tasks.push(info);
    const streams = new Map(record.streams.map((s) => [s.stream, s]));
    for (const [stream, rows] of Object.entries(task.streamRows ?? {})) {
      const timeline = timelines?.[stream];
      const first = timeline?.find((p) => p.phase !== 'queued')?.at;
      const last = timeline?.at(-1);
      const entry: RunStreamRecord = {
        stream,
        // A key range's rows add to the stream's (its other ranges ran as other tasks).
        rows: task.keyRange ? (streams.get(stream)?.rows ?? 0) + rows : rows,
        elapsedMs: first !== undefined && last ? Math.max(0, last.at - first) : 0,
        ...(last ? { phase: last.phase } : {}),
        ...(timeline ? { phases: timeline } : {}),
      };
      streams.set(stream, entry);
    }
    record.streams = [...streams.values()];
    record.rows = record.streams.reduce((sum, s) => sum + s.rows, 0);
    record.committedStates += end?.committedStates ?? 0;
    if (end && end.status !== 'running') {
      record.status = end.status;
      record.finishedAt = Date.now();
      if (end.error) record.error = end.error;
    }
    await store.save(record);
  }

  /** The run's last step: every task completed. */
  async completed(runId: string, data: RunJobData): Promise<void> {
    const store = await this.storeOf(data.pipeline);
    if (!store || !data.pipelineId) return;
    const record = await store.get(data.pipelineId, runId).catch(() => undefined);
    if (record?.status !== 'running') return;
    record.status = 'completed';
    record.finishedAt = Date.now();
    await store.save(record);
  }
}
