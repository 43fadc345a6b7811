import { stateStoreFor, type PipelineConfig, type StateStore } from '@mage-int/core';
import { loadPipelineForState } from './load-pipeline.js';

export interface PipelineState {
  config: PipelineConfig;
  store: StateStore;
  id: string;
  location: string;
}

/** The state store and id of a pipeline file, for `state get|set|clear`. */
export async function pipelineState(path: string, stateDir: string | undefined): Promise<PipelineState> {
  const config = await loadPipelineForState(path, { stateDir });
  const store = stateStoreFor(config);
  return { config, store, id: config.id, location: store.describe(config.id) };
}
