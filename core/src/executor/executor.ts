import type { KeyRangeTask } from '../source-kit/key-ranges.js';

/**
 * Where pipeline runs execute: in this process, or on workers behind a queue (@mage-int/executor-bullmq). The CLI's
 * `submit`, `runs` and `schedule` speak only this interface, so another engine (Temporal) is one more implementation.
 */

/** What to run. Never config values: workers load the pipeline file themselves and resolve `${VAR}` from their own environment. */
export interface RunRequest {
  /** The pipeline file, as a path the workers can open (absolute). */
  pipeline: string;
  /** Sync only these streams (names or tap_stream_ids). */
  streams?: string[];
  /** Ignore the saved bookmarks of the streams synced. */
  fullRefresh?: boolean;
}

export type RunStatus = 'waiting' | 'running' | 'completed' | 'failed' | 'cancelling' | 'cancelled';

/** One part of a run: some streams of the pipeline, run on one worker at a time. */
export interface RunTaskInfo {
  streams: string[];
  /** A key range of a split stream, or its finalize step. */
  keyRange?: KeyRangeTask;
  status: RunStatus;
  rows: number;
  /** Attempts made so far (retries after failures). */
  attempts: number;
  /** The worker that ran it last (host:pid). */
  worker?: string;
  error?: string;
  /** Records read per stream (by stream name), while it runs and once done, when the executor reports them. */
  streamRows?: Record<string, number>;
  /** Each stream's phase (a StreamPhase: queued, reading, waiting-for-commit, done…), when the executor reports it. */
  phases?: Record<string, string>;
}

export interface RunInfo {
  id: string;
  /** The pipeline file. */
  pipeline: string;
  pipelineId?: string;
  status: RunStatus;
  /** Rows committed or read so far, over every task. */
  rows: number;
  submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  tasks: RunTaskInfo[];
  /** The schedule that started it. */
  schedule?: string;
}

export interface ScheduleInfo {
  id: string;
  pipeline: string;
  cron: string;
  /** When it fires next (ms since the epoch). */
  next?: number;
}

export interface Executor {
  /** Enqueues a run; resolves with its id once it is durably queued. */
  submit(request: RunRequest): Promise<{ id: string }>;
  /** The most recent runs, newest first. */
  runs(options?: { limit?: number }): Promise<RunInfo[]>;
  run(id: string): Promise<RunInfo | undefined>;
  /** Stops a run: waiting parts never start, running ones are aborted (their committed state is kept). False: no such run. */
  cancel(id: string): Promise<boolean>;
  /** Runs `request` on a cron pattern (5 fields, or 6 with seconds first); the same id replaces a schedule. */
  schedule(request: RunRequest, cron: string, id: string): Promise<ScheduleInfo>;
  schedules(): Promise<ScheduleInfo[]>;
  unschedule(id: string): Promise<boolean>;
  close(): Promise<void>;
}
