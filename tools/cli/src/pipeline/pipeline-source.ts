import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, emptyState, stateStoreFor, type ConnectorContext, type Logger, type Source, type State } from '@mage-int/core';
import { loadPipeline, resolvePipelineSource } from './load-pipeline.js';

/** A pipeline's source, ready for the source's optional operations (`Source.operations`). */
export interface PipelineSource {
  file: string;
  id: string;
  connector: Source<never>;
  config: never;
  secrets: string[];
  /** The saved state (empty when none): which log positions the pipeline holds. */
  state: State;
  ctx: ConnectorContext;
}

/** Loads a pipeline file's source and its saved state; `ctx` carries the pipeline id. */
export async function openPipelineSource(file: string, logger: Logger, signal: AbortSignal): Promise<PipelineSource> {
  const config = await loadPipeline(file);
  const source = await resolvePipelineSource(config);
  const state = (await stateStoreFor(config).load(config.id)) ?? emptyState();
  return {
    file,
    id: config.id,
    connector: source.connector,
    config: source.config as never,
    secrets: source.secrets,
    state,
    ctx: { logger: logger.child(`source-${source.connector.name}`), signal, pipelineId: config.id },
  };
}

/** The pipeline files named: files as given, directories by their `*.yaml`/`*.yml`/`*.json` files; none given: `pipelines/`. */
export function pipelineFiles(paths: readonly string[]): string[] {
  const named = paths.length > 0 ? paths : ['pipelines'];
  const files: string[] = [];
  for (const path of named) {
    if (!existsSync(path)) {
      throw new ConfigError('PIPELINE_NOT_FOUND', `${path} does not exist`, {
        hint:
          paths.length > 0
            ? 'name pipeline files or directories holding them'
            : 'run this in a project (its pipelines/ directory), or name pipeline files',
      });
    }
    if (!statSync(path).isDirectory()) files.push(path);
    else for (const name of readdirSync(path).sort()) if (/\.(ya?ml|json)$/i.test(name)) files.push(join(path, name));
  }
  return files;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** `512MB`, `1GB`, `1.5 GB`, `1048576` → bytes (binary units, as PostgreSQL's settings use). */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?b)?\s*$/i.exec(text);
  if (!m)
    throw new ConfigError('SIZE_INVALID', `${what} "${text}" is not a size`, {
      hint: 'give a number of bytes or a size such as 512MB, 1GB, 2TB',
    });
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/** Bytes for people: `1.4 GB`, `512 MB`, `880 B`. */
export function formatBytes(bytes: number): string {
  for (const unit of ['TB', 'GB', 'MB', 'kB'] as const) {
    const size = UNITS[unit.toLowerCase()]!;
    if (bytes >= size) return `${(bytes / size).toFixed(bytes >= 10 * size ? 0 : 1)} ${unit}`;
  }
  return `${bytes} B`;
}
