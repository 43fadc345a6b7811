import { secretValues, validateConfig } from '../connector/config.js';
import type { Destination, Source } from '../connector/contract.js';
import { coerceStringsToSpec, resolveDestination, resolvePathFields, resolveSource } from './pipeline.js';
import type { ConnectorRef, PipelineConfig } from './pipeline-config.js';

/** One end of a pipeline, loaded and its config checked, before any connection is made. */
export interface ValidatedEnd<C> {
  connector: C;
  /** Validated config, defaults filled, `format: path` fields resolved from the pipeline file's directory. */
  config: Record<string, unknown>;
  /** Values never to print (for a logger's `secrets`). */
  secrets: string[];
}

function validated<C extends Source<never> | Destination<never>>(
  connector: C,
  ref: ConnectorRef,
  baseDir: string,
  label: string,
): ValidatedEnd<C> {
  const raw = ref.config ?? {};
  const secrets = secretValues(connector.spec, raw, ref.interpolated);
  const config = validateConfig<Record<string, unknown>>(
    connector.spec,
    resolvePathFields(connector.spec, coerceStringsToSpec(connector.spec, raw), baseDir),
    label,
  );
  return { connector, config, secrets };
}

/** Loads a pipeline's source and validates its config (ConfigError naming the field). What `discover` and `check` use. */
export async function validatedSource(pipeline: PipelineConfig): Promise<ValidatedEnd<Source<never>>> {
  const connector = await resolveSource(pipeline.source, pipeline.baseDir);
  return validated(connector, pipeline.source, pipeline.baseDir, `source ${connector.name}`);
}

/** Loads a pipeline's destination and validates its config. */
export async function validatedDestination(pipeline: PipelineConfig): Promise<ValidatedEnd<Destination<never>>> {
  const connector = await resolveDestination(pipeline.destination, pipeline.baseDir);
  return validated(connector, pipeline.destination, pipeline.baseDir, `destination ${connector.name}`);
}
