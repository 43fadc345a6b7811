import { secretValues } from '../connector/config.js';
import { createLogger, type LogLevel } from '../connector/logger.js';
import { loadPipelineFile, type PipelineConfig } from '../pipeline/pipeline-config.js';
import { pipeline, pipelineFromConfig, type PipelineDefinition } from '../pipeline/pipeline.js';
import type { RunProgress } from '../runner/run-pipeline.js';
import { PostgresStateStore } from '../state/postgres-state-store.js';
import { keyRangeStateKey } from '../source-kit/key-ranges.js';
import type { RunRequest } from './executor.js';
import type { RunTask } from './run-plan.js';

export interface RunTaskOptions {
  signal?: AbortSignal;
  logLevel?: LogLevel;
  /** Where connector log lines go (already redacted). */
  write?: (line: string) => void;
  onProgress?: (progress: RunProgress) => void;
}

export interface RunTaskResult {
  pipelineId: string;
  /** Records per stream. */
  streams: Record<string, number>;
  rows: number;
  committedStates: number;
  durationMs: number;
}

/** The secret values of a loaded pipeline's connector configs, so errors can be redacted before they are stored anywhere. */
export interface TaskSecrets {
  secrets: string[];
}

/** The secret values of a loaded pipeline: both connectors' (by their specs and `${VAR}`s) and the state store's URL. */
export function pipelineSecrets(config: PipelineConfig, definition: PipelineDefinition): string[] {
  return [
    ...secretValues(definition.source.connector.spec, definition.source.config, config.source.interpolated),
    ...secretValues(definition.destination.connector.spec, definition.destination.config, config.destination.interpolated),
    ...(config.state?.url ? [config.state.url] : []),
  ];
}

/**
 * The state rows a task writes and locks: its streams' own; a key range's task only its range's bookmark (the ranges
 * of one stream run at once), the finalize step the stream's and every range's.
 */
function stateScope(task: RunTask): string[] {
  const range = task.keyRange;
  if (!range) return task.streams;
  if (range.finalize)
    return [range.stream, ...Array.from({ length: range.count }, (_, i) => keyRangeStateKey(range.stream, i + 1, range.count))];
  return [keyRangeStateKey(range.stream, range.index ?? 0, range.count)];
}

/**
 * Runs one task of a run in this process: the pipeline file loaded here (its `${VAR}`s from this environment), only
 * the task's streams, and — with the PostgreSQL state store — a store that writes and locks only those streams, so
 * tasks of one run on different workers merge their bookmarks. `secrets` is filled as soon as they are known.
 */
export async function runPipelineTask(
  request: RunRequest,
  task: RunTask,
  options: RunTaskOptions = {},
  secrets: TaskSecrets = { secrets: [] },
): Promise<RunTaskResult> {
  const config = await loadPipelineFile(request.pipeline);
  const built = await pipelineFromConfig(config);
  const { definition } = built;
  secrets.secrets = pipelineSecrets(config, definition);
  const store = definition.stateStore;
  const scoped = store instanceof PostgresStateStore && task.streams.length > 0 ? store.forStreams(stateScope(task)) : store;
  const logger = createLogger({ level: options.logLevel, secrets: secrets.secrets, ...(options.write ? { write: options.write } : {}) });
  try {
    const summary = await pipeline({ ...definition, stateStore: scoped }).run({
      only: task.streams,
      fullRefresh: request.fullRefresh,
      ...(task.keyRange ? { keyRange: task.keyRange } : {}),
      logger,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const streams = Object.fromEntries(Object.values(summary.streams).map((s) => [s.stream, s.records]));
    return {
      pipelineId: config.id,
      streams,
      rows: Object.values(streams).reduce((a, b) => a + b, 0),
      committedStates: summary.committedStates,
      durationMs: summary.finishedAt - summary.startedAt,
    };
  } finally {
    if (scoped instanceof PostgresStateStore) await scoped.close();
  }
}
