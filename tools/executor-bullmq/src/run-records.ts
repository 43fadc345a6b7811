import { loadPipelineFile, RunRecordStore, runsDirFor, type RunRecord, type RunTaskInfo, type StreamPhase } from '@mage-int/core';
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
   * A task ended (task `index` of the run's plan): its streams' rows and phases go into the record (a stream split into
   * key ranges over several tasks sums their rows); `end.status` is the run's when this ends it (a task failed for good,
   * or was cancelled), else the run keeps running.
   */
  async taskEnded(
    runId: string,
    data: { pipeline: string; pipelineId: string; index: number },
    task: RunTaskInfo & { timelines?: Record<string, { phase: StreamPhase; at: number }[]> },
    end: { status: RunRecord['status']; error?: string; committedStates?: number } | undefined,
  ): Promise<void> {
    const store = await this.storeOf(data.pipeline);
    if (!store) return;
    const record = await store.get(data.pipelineId, runId).catch(() => undefined);
    if (!record) return;
    const { timelines, ...info } = task;
    while (record.tasks.length <= data.index) record.tasks.push({ streams: [], status: 'waiting', rows: 0, attempts: 0 });
    record.tasks[data.index] = info;
    const streams = new Map(record.streams.map((s) => [s.stream, s]));
    for (const stream of Object.keys(task.streamRows ?? {})) {
      const rows = record.tasks.reduce((sum, t) => sum + (t.streamRows?.[stream] ?? 0), 0);
      const kept = streams.get(stream);
      const timeline = kept?.phases ?? timelines?.[stream];
      const last = timelines?.[stream]?.at(-1);
      const first = timeline?.find((p) => p.phase !== 'queued')?.at;
      streams.set(stream, {
        stream,
        rows,
        elapsedMs: Math.max(kept?.elapsedMs ?? 0, first !== undefined && last ? last.at - first : 0),
        ...(last ? { phase: kept?.phase === 'failed' ? 'failed' : last.phase } : kept?.phase ? { phase: kept.phase } : {}),
        ...(timeline ? { phases: timeline } : {}),
      });
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
