import { validateConfig, type JsonSchema } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

export type { Config, ResolvedConfig };

/** The config schema (spec.json). */
export const configSpec = spec as JsonSchema;

/** Validates a config and fills its defaults (the runner does this too; direct callers may not have). */
export function resolveConfig(config: Config = {}, warn?: (message: string) => void): ResolvedConfig {
  return validateConfig<ResolvedConfig>(configSpec, config, 'destination duckdb', warn);
}
