import { replicationMethod, selectedStreams } from '../catalog/catalog.js';
import { validateConfig } from '../connector/config.js';
import type { ConnectorContext } from '../connector/contract.js';
import { loadPipelineFile } from '../pipeline/pipeline-config.js';
import { pipelineFromConfig, stateStoreFor } from '../pipeline/pipeline.js';
import { applyStreamOverrides } from '../runner/stream-selection.js';
import { PostgresStateStore } from '../state/postgres-state-store.js';
import type { RunRequest } from './executor.js';
import { pipelineSecrets, type TaskSecrets } from './run-task.js';

/** A part of a run that one worker runs: some streams (tap_stream_ids). */
export interface RunTask {
  streams: string[];
  /** The pipeline's LOG_BASED streams: one task, so the source has one reader. */
  logBased?: boolean;
}

export interface RunPlan {
  pipelineId: string;
  tasks: RunTask[];
}

/**
 * Splits a run into tasks that may run on different workers at once: each selected stream on its own, except that
 * all LOG_BASED streams share one task (one replication slot or binlog client has exactly one reader). Splitting
 * needs a state store whose runs of different streams merge (`state.backend: postgres`); with files the run is one task.
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
  if (!(stateStoreFor(config) instanceof PostgresStateStore) || selected.length <= 1) {
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
  const tasks: RunTask[] = selected.filter((s) => replicationMethod(s) !== 'LOG_BASED').map((s) => ({ streams: [s.tap_stream_id] }));
  if (logBased.length > 0) tasks.unshift({ streams: logBased, logBased: true });
  return { pipelineId: config.id, tasks };
}
