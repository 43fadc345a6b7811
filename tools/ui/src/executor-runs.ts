import { resolve } from 'node:path';
import type { Executor, RunInfo, RunRecord, RunRecordStore, RunTaskInfo, StreamPhase } from '@mage-int/core';
import type { LiveStream, RunEvent } from './run-manager.js';

const FINAL: readonly RunInfo['status'][] = ['completed', 'failed', 'cancelled'];
const POLL_MS = 500;

/** A task's status as the phase of its streams, when the worker has not reported one. */
function phaseOfTask(task: RunTaskInfo): StreamPhase {
  switch (task.status) {
    case 'waiting':
      return 'queued';
    case 'completed':
      return 'done';
    case 'failed':
      return 'failed';
    case 'cancelled':
    case 'cancelling':
      return 'stopped';
    default:
      return 'reading';
  }
}

/** The streams of a run on the workers, as the run page shows them: per task, its streams' rows and phases. */
export function executorStreams(info: RunInfo, record?: RunRecord): LiveStream[] {
  const out: LiveStream[] = [];
  for (const task of info.tasks) {
    const names = task.streamRows ? Object.keys(task.streamRows) : task.streams;
    for (const name of names) {
      const kept = record?.streams.find((s) => s.stream === name);
      const phase = (task.phases?.[name] as StreamPhase | undefined) ?? kept?.phase ?? phaseOfTask(task);
      const rows = task.streamRows?.[name] ?? kept?.rows ?? 0;
      const began = kept?.phases?.find((p) => p.phase !== 'queued')?.at ?? info.startedAt;
      const elapsedMs = kept?.elapsedMs ?? (began !== undefined ? Math.max(0, (info.finishedAt ?? Date.now()) - began) : 0);
      out.push({
        stream: name,
        rows,
        rowsPerSecond: elapsedMs > 0 ? Math.round(rows / (elapsedMs / 1000)) : 0,
        elapsedMs,
        status: phase === 'queued' || phase === 'done' || phase === 'failed' || phase === 'stopped' ? phase : 'running',
        phase,
        phaseSince: Date.now(),
        phases: kept?.phases ?? [],
      });
    }
  }
  return out;
}

/**
 * A run of the executor as a history record: the record its workers wrote in the run-record store when there is one
 * (streams, phases), with the executor's live status over it while it has not ended.
 */
export function mergedRecord(info: RunInfo, pipelineId: string, kept?: RunRecord): RunRecord {
  const base: RunRecord = kept ?? { ...info, pipelineId, streams: [], committedStates: 0 };
  if (kept && FINAL.includes(kept.status)) return { ...kept, executor: 'bullmq' };
  const streams = executorStreams(info, kept);
  return {
    ...base,
    status: info.status,
    rows: Math.max(info.rows, base.rows),
    tasks: info.tasks,
    ...(info.startedAt ? { startedAt: info.startedAt } : {}),
    ...(info.finishedAt ? { finishedAt: info.finishedAt } : {}),
    ...(info.error ? { error: info.error } : {}),
    streams: streams.map((s) => ({ stream: s.stream, rows: s.rows, elapsedMs: s.elapsedMs, phase: s.phase, phases: s.phases })),
    executor: 'bullmq',
  };
}

/** A run on the workers that a page follows: its status polled from the executor, sent as the run events a local run sends. */
class WatchedRun {
  readonly listeners = new Set<(event: RunEvent) => void>();
  private timer?: NodeJS.Timeout;
  latest?: RunRecord;
  /** Each stream's phases as seen by polling (until the workers' record has the exact ones). */
  private readonly seen = new Map<string, { phase: StreamPhase; at: number }[]>();

  constructor(
    readonly id: string,
    private readonly load: () => Promise<RunRecord | undefined>,
    private readonly done: () => void,
  ) {}

  start(): void {
    const tick = async () => {
      const record = await this.load().catch(() => undefined);
      if (record) {
        this.latest = record;
        const now = Date.now();
        const streams = record.streams.map((s): LiveStream => {
          const phase = s.phase ?? 'reading';
          const seen = this.seen.get(s.stream) ?? [];
          if (seen.at(-1)?.phase !== phase) seen.push({ phase, at: now });
          this.seen.set(s.stream, seen);
          const phases = s.phases?.length ? s.phases : seen;
          const began = phases.find((p) => p.phase !== 'queued')?.at;
          const ended = phase === 'done' || phase === 'failed' || phase === 'stopped';
          const elapsedMs = s.phases?.length
            ? s.elapsedMs
            : began !== undefined
              ? Math.max(0, (ended ? (phases.at(-1)?.at ?? now) : now) - began)
              : 0;
          return {
            stream: s.stream,
            rows: s.rows,
            rowsPerSecond: elapsedMs > 0 ? Math.round(s.rows / (elapsedMs / 1000)) : 0,
            elapsedMs,
            status: phase === 'queued' || ended ? (phase as LiveStream['status']) : 'running',
            phase,
            phaseSince: phases.at(-1)?.at ?? now,
            phases,
          };
        });
        for (const listener of this.listeners) listener({ type: 'progress', streams, committedStates: record.committedStates });
        if (FINAL.includes(record.status)) {
          for (const listener of this.listeners) listener({ type: 'end', record });
          return this.stop();
        }
      }
      if (this.listeners.size === 0) return this.stop();
      this.timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.done();
  }
}

/**
 * Runs on an executor's workers (BullMQ on Redis) for the UI: submitted from it or from `mage-int submit`/`schedule`,
 * listed and followed beside the runs the UI runs itself. Their history is the same run-record store the workers write.
 */
export class ExecutorRuns {
  private readonly watched = new Map<string, WatchedRun>();

  constructor(readonly executor: Executor) {}

  private recent?: { at: number; runs: Promise<RunInfo[]> };

  /** The executor's recent runs, asked once a second at most (the pipeline list asks for every pipeline). */
  private recentRuns(): Promise<RunInfo[]> {
    if (!this.recent || Date.now() - this.recent.at > 1000) {
      const runs = this.executor.runs({ limit: 100 });
      this.recent = { at: Date.now(), runs };
      runs.catch(() => (this.recent = undefined));
    }
    return this.recent.runs;
  }

  /** The executor's recent runs of one pipeline file, merged with the records the workers kept. */
  async list(file: string, pipelineId: string, store: RunRecordStore): Promise<RunRecord[]> {
    const path = resolve(file);
    const infos = (await this.recentRuns()).filter((r) => r.pipeline === path || r.pipelineId === pipelineId);
    return Promise.all(
      infos.map(async (info) => mergedRecord(info, pipelineId, await store.get(pipelineId, info.id).catch(() => undefined))),
    );
  }

  submit(file: string, options: { only?: string[]; fullRefresh?: boolean }): Promise<{ id: string }> {
    this.recent = undefined;
    return this.executor.submit({
      pipeline: resolve(file),
      ...(options.only?.length ? { streams: options.only } : {}),
      ...(options.fullRefresh ? { fullRefresh: true } : {}),
    });
  }

  cancel(id: string): Promise<boolean> {
    return this.executor.cancel(id);
  }

  /** Follows a run: `listener` gets progress events until its end event. */
  follow(id: string, load: () => Promise<RunRecord | undefined>, listener: (event: RunEvent) => void): () => void {
    let watched = this.watched.get(id);
    if (!watched) {
      watched = new WatchedRun(id, load, () => this.watched.delete(id));
      this.watched.set(id, watched);
      watched.listeners.add(listener);
      watched.start();
    } else watched.listeners.add(listener);
    const w = watched;
    return () => w.listeners.delete(listener);
  }

  stopAll(): void {
    for (const watched of this.watched.values()) watched.stop();
  }
}
