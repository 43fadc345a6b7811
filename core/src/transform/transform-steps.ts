import { isAbsolute, resolve } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { RecordData } from '../protocol/messages.js';
import type { TransformStage } from './apply-transforms.js';
import { definitionTransform, loadTransformModule } from './module-transform.js';
import { sqlTransform } from './sql-transform.js';
import { streamMapsTransform, type StreamMaps } from './stream-maps.js';
import type { Transform, TransformDefinition } from './transform.js';

interface StepBase {
  /** Names the step in errors and logs (default: its kind and position). */
  name?: string;
}

/** Meltano's stream maps (a pipeline file's `- stream_maps:` step). */
export interface StreamMapsStep extends StepBase {
  stream_maps: StreamMaps;
  /** Values expressions read as `config['…']`. */
  stream_map_config?: Record<string, unknown>;
}

/** A TypeScript/JavaScript module (a pipeline file's `- module:` step); `module` is an absolute path once loaded. */
export interface ModuleStep extends StepBase {
  module: string;
  streams?: string[];
  config?: Record<string, unknown>;
}

/** SQL over each batch in an in-memory DuckDB (a pipeline file's `- sql:` step), the batch being the table `batch`. */
export interface SqlStep extends StepBase {
  sql: string;
  streams?: string[];
  /** The key of the result (default: the stream's, which the query must then select). */
  key_properties?: string[];
}

/** A transform given in code: a `defineTransform` definition or a ready `Transform`. */
export interface CodeStep extends StepBase {
  transform: TransformDefinition<never, RecordData> | Transform;
  streams?: string[];
  config?: Record<string, unknown>;
}

export type TransformStep = StreamMapsStep | ModuleStep | SqlStep | CodeStep;

/** Stream name → the names a pipeline may use for it (the name, and the catalog's tap_stream_id). */
export type StreamNames = (stream: string) => string[];

/** The names of each stream of a catalog: `public-orders` in a pipeline file means the stream `orders` it reads as. */
export function catalogStreamNames(catalog?: Catalog): StreamNames {
  const ids = new Map<string, string>();
  for (const s of catalog?.streams ?? []) if (s.tap_stream_id !== s.stream) ids.set(s.stream, s.tap_stream_id);
  return (stream) => {
    const id = ids.get(stream);
    return id === undefined ? [stream] : [stream, id];
  };
}

function isRuntimeTransform(value: CodeStep['transform']): value is Transform {
  // A definition has `record`/`batch`, never `records`.
  return typeof (value as Transform).records === 'function';
}

/** Turns a pipeline's transform steps into the stages the runner applies, in order. Module steps must be loaded (CodeStep). */
export function transformStages(steps: readonly TransformStep[], names: StreamNames): TransformStage[] {
  return steps.map((step, i) => {
    const position = `#${i + 1}`;
    const matches = 'streams' in step && step.streams ? streamMatcher(step.streams, names) : undefined;
    let transform: Transform;
    if ('stream_maps' in step)
      transform = streamMapsTransform(step.stream_maps, {
        name: step.name ?? `stream_maps ${position}`,
        config: step.stream_map_config ?? {},
        names,
      });
    else if ('sql' in step)
      transform = sqlTransform(step.sql, step.name ?? `sql ${position}`, step.key_properties ? { keyProperties: step.key_properties } : {});
    else if ('transform' in step) {
      transform = isRuntimeTransform(step.transform)
        ? step.transform
        : definitionTransform(step.transform, step.name ?? step.transform.name ?? `transform ${position}`, step.config);
    } else throw new TypeError(`transform step ${position} (module ${step.module}) must be loaded before the run (loadTransformSteps)`);
    return matches ? { transform, matches } : { transform };
  });
}

/** Matches a stream by its name or tap_stream_id against a step's `streams:` list. */
export function streamMatcher(list: readonly string[], names: StreamNames): (stream: string) => boolean {
  const wanted = new Set(list);
  return (stream) => names(stream).some((n) => wanted.has(n));
}

/**
 * Loads the `module:` steps of a pipeline file (paths relative to `baseDir`) so the run can apply them; other
 * steps are returned as they are.
 */
export async function loadTransformSteps(steps: readonly TransformStep[], baseDir: string): Promise<TransformStep[]> {
  return Promise.all(
    steps.map(async (step): Promise<TransformStep> => {
      if (!('module' in step)) return step;
      const path = isAbsolute(step.module) ? step.module : resolve(baseDir, step.module);
      const transform = await loadTransformModule(path, step.module);
      return {
        transform,
        name: step.name ?? transform.name ?? `module ${step.module}`,
        ...(step.streams ? { streams: step.streams } : {}),
        ...(step.config ? { config: step.config } : {}),
      };
    }),
  );
}
