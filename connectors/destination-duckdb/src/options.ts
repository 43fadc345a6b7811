import { validateConfig, type JsonSchema } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config };

/** The config schema (spec.json). */
export const configSpec = spec as JsonSchema;

/** A config with every default filled in (deprecated names already moved to the new ones). */
export type ResolvedConfig = Required<Omit<Config, 'batch_dir' | 'batch_max_age_ms' | 'add_metadata_columns'>> & Pick<Config, 'batch_dir'>;

/** Validates a config and fills its defaults (the runner does this too; direct callers may not have). */
export function resolveConfig(config: Config = {}, warn?: (message: string) => void): ResolvedConfig {
  return validateConfig<ResolvedConfig>(configSpec, config, 'destination duckdb', warn);
}
