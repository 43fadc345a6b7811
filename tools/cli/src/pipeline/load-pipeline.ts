import { resolve } from 'node:path';
import {
  ConfigError,
  loadPipelineFile,
  resolveConnector,
  validatedDestination,
  validatedSource,
  type PipelineConfig,
  type ValidatedEnd,
} from '@mage-int/core';

export interface LoadOptions {
  /** `--state-dir`: overrides the file's `state.path` (relative to the working directory). */
  stateDir?: string;
}

function applyOverrides(config: PipelineConfig, options: LoadOptions): PipelineConfig {
  return options.stateDir === undefined ? config : { ...config, state: { ...config.state, path: resolve(options.stateDir) } };
}

/** Reads a pipeline file: YAML, `${ENV}` interpolation, schema validation (ConfigError on any problem). */
export async function loadPipeline(path: string, options: LoadOptions = {}): Promise<PipelineConfig> {
  return applyOverrides(await loadPipelineFile(path), options);
}

const UNSET = '\u0000mage-int-unset\u0000';

/**
 * Reads a pipeline file for commands that only need its id and state location (`state get|set|clear`):
 * environment variables used elsewhere (a password) need not be set. A variable the id or the state path
 * depends on still must be.
 */
export async function loadPipelineForState(path: string, options: LoadOptions = {}): Promise<PipelineConfig> {
  try {
    return await loadPipeline(path, options);
  } catch (error) {
    if (!(error instanceof ConfigError) || error.code !== 'ENV_VAR_MISSING') throw error;
    const env = new Proxy(process.env, {
      get: (target, name: string) => (target[name] === undefined || target[name] === '' ? UNSET : target[name]),
    });
    let lenient: PipelineConfig;
    try {
      lenient = await loadPipelineFile(path, env);
    } catch {
      throw error;
    }
    if (lenient.id.includes(UNSET) || (lenient.state?.path ?? '').includes(UNSET)) throw error;
    return applyOverrides(lenient, options);
  }
}

export type ResolvedEnd<C> = ValidatedEnd<C>;

/** Loads the pipeline's source and validates its config (before any connection is made). */
export const resolvePipelineSource = validatedSource;

/** Loads the pipeline's destination and validates its config. */
export const resolvePipelineDestination = validatedDestination;

/**
 * Fails on the first connector (source, then destination) that is not installed, so the error does not depend
 * on which lookup finishes first. External `command:` connectors are checked when they start.
 */
export async function assertConnectorsInstalled(pipeline: PipelineConfig): Promise<void> {
  for (const kind of ['source', 'destination'] as const) {
    const ref = pipeline[kind];
    if (!ref.command) await resolveConnector(kind, ref, pipeline.baseDir);
  }
}
