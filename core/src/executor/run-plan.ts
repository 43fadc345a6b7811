import { keyProperties, replicationMethod, selectedStreams, type CatalogStream } from '../catalog/catalog.js';
import type { Logger } from '../connector/logger.js';
import { validateConfig } from '../connector/config.js';
import type { ConnectorContext, Source } from '../connector/contract.js';
import { loadPipelineFile } from '../pipeline/pipeline-config.js';
import { pipelineFromConfig, stateStoreFor } from '../pipeline/pipeline.js';
import { applyStreamOverrides } from '../runner/stream-selection.js';
import { PostgresStateStore } from '../state/postgres-state-store.js';
import { keyRangeBookmarks, keyRangeKeys, type KeyRangeBookmark, type KeyRangeTask } from '../source-kit/key-ranges.js';
import { emptyState } from '../state/state.js';
import type { RunRequest } from './executor.js';
import { pipelineSecrets, type TaskSecrets } from './run-task.js';

/** A part of a run that one worker runs: some streams (tap_stream_ids). */
export interface RunTask {
  streams: string[];
  /** The pipeline's LOG_BASED streams: one task, so the source has one reader. */
  logBased?: boolean;
  /** One key range of a split FULL_TABLE stream, or (`finalize`) the step after all its ranges. */
  keyRange?: KeyRangeTask;
}

/** The tasks that run first (at once), and those that run after all of them (the finalize steps of split streams). */
export function taskPhases<T extends { keyRange?: KeyRangeTask }>(tasks: readonly T[]): [T[], T[]] {
  return [tasks.filter((t) => !t.keyRange?.finalize), tasks.filter((t) => t.keyRange?.finalize)];
}

export interface RunPlan {
  pipelineId: string;
  tasks: RunTask[];
}

/**
 * Splits a run into tasks that may run on different workers at once: each selected stream on its own, except that
 * all LOG_BASED streams share one task (one replication slot or binlog client has exactly one reader), and a keyed
 * FULL_TABLE stream with `key_ranges: N` is split into up to N range tasks and their finalize task. Splitting needs a
 * state store whose runs of different streams merge (`state.backend: postgres`); with files the run is one task.
 * `secrets` is filled with the pipeline's secret values as soon as they are known.
 */
export async function planRun(
  request: RunRequest,
  ctx: Omit<ConnectorContext, 'pipelineId'>,
  secrets: TaskSecrets = { secrets: [] },
): Promise<RunPlan> {
  const config = await loadPipelineFile(request.pipeline);
  const { definition } = await pipelineFromConfig(config);
  secrets.secrets = pipelineSecrets(config, definition);
  const source = definition.source.connector;
  const sourceConfig = validateConfig<never>(source.spec, definition.source.config, `source ${source.name}`);
  const catalog = applyStreamOverrides(
    await source.discover(sourceConfig, { ...ctx, pipelineId: config.id }),
    config.streams,
    request.streams,
    config.select,
  );
  const selected = selectedStreams(catalog);
  const store = stateStoreFor(config);
  if (!(store instanceof PostgresStateStore)) {
    if (Object.values(config.streams ?? {}).some((s) => (s.key_ranges ?? 1) > 1))
      ctx.logger.warn('key_ranges needs the PostgreSQL state backend (state: {backend: postgres}): the streams are read whole');
    return {
      pipelineId: config.id,
      tasks: [
        {
          streams: selected.map((s) => s.tap_stream_id),
          ...(selected.some((s) => replicationMethod(s) === 'LOG_BASED') ? { logBased: true } : {}),
        },
      ],
    };
  }
  const logBased = selected.filter((s) => replicationMethod(s) === 'LOG_BASED').map((s) => s.tap_stream_id);
  const tasks: RunTask[] = [];
  try {
    for (const stream of selected.filter((s) => replicationMethod(s) !== 'LOG_BASED')) {
      const count = Object.entries(config.streams ?? {}).find(([name]) => name === stream.tap_stream_id || name === stream.stream)?.[1]
        .key_ranges;
      const split =
        count && count > 1 && replicationMethod(stream) === 'FULL_TABLE' && keyProperties(stream).length > 0
          ? await planKeyRanges(source, sourceConfig, stream, count, store, config.id, request.fullRefresh === true, {
              ...ctx,
              pipelineId: config.id,
            })
          : undefined;
      tasks.push(...(split ?? [{ streams: [stream.tap_stream_id] }]));
    }
  } finally {
    await store.close();
  }
  if (logBased.length > 0) tasks.unshift({ streams: logBased, logBased: true });
  return { pipelineId: config.id, tasks };
}

/**
 * The tasks of one FULL_TABLE stream split into key ranges: a task per range and a finalize task. A split in
 * progress (ranges in the state from an interrupted run) is continued with its bounds and version; otherwise (or on a
 * full refresh) the source's database gives the bounds and the ranges' bookmarks are stored before any task runs.
 * Undefined when the source cannot split.
 */
async function planKeyRanges(
  source: Source<never>,
  sourceConfig: never,
  stream: CatalogStream,
  count: number,
  store: PostgresStateStore,
  pipelineId: string,
  fullRefresh: boolean,
  ctx: ConnectorContext,
): Promise<RunTask[] | undefined> {
  if (!source.operations?.keyRanges) {
    ctx.logger.warn(`source ${source.name} cannot split a table into key ranges: ${stream.tap_stream_id} is read whole`);
    return undefined;
  }
  const id = stream.tap_stream_id;
  const state = (await store.load(pipelineId)) ?? emptyState();
  const existing = keyRangeKeys(state, id);
  const inProgress = existing.map((key) => state.bookmarks[key] as Partial<KeyRangeBookmark>);
  const resumeCount = inProgress[0]?.key_range?.count;
  if (!fullRefresh && resumeCount && inProgress.length === resumeCount && inProgress.every((b) => b.key_range?.count === resumeCount)) {
    ctx.logger.info(`${id}: continuing its split into ${resumeCount} key ranges`);
    return rangeTasks(id, resumeCount);
  }
  const ranges = await source.operations.keyRanges(sourceConfig, stream, count, ctx);
  if (ranges.length <= 1) return undefined;
  // Sorts after the stream's last version, as a whole-table sync's new version does (see startFullTable).
  const previous = state.bookmarks[id]?.version;
  const version = Math.max(Date.now(), typeof previous === 'number' ? previous + 1 : 0);
  const bookmarks = keyRangeBookmarks(id, ranges, version);
  const scoped = store.forStreams([...existing, ...Object.keys(bookmarks)]);
  try {
    const current = (await scoped.load(pipelineId)) ?? emptyState();
    const kept = Object.fromEntries(Object.entries(current.bookmarks).filter(([key]) => !existing.includes(key)));
    await scoped.save(pipelineId, { ...current, bookmarks: { ...kept, ...bookmarks } });
  } finally {
    await scoped.close();
  }
  logRanges(ctx.logger, id, ranges.length);
  return rangeTasks(id, ranges.length);
}

function logRanges(logger: Logger, stream: string, count: number): void {
  logger.info(`${stream}: split into ${count} key ranges`);
}

function rangeTasks(stream: string, count: number): RunTask[] {
  return [
    ...Array.from({ length: count }, (_, i) => ({ streams: [stream], keyRange: { stream, count, index: i + 1 } })),
    { streams: [stream], keyRange: { stream, count, finalize: true } },
  ];
}
