import { validateConfig, type JsonSchema } from '@mage-int/core';
import type { IdentifierRules } from '@mage-int/core/sql';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';

export type { Config };

/** The config schema (spec.json). */
export const configSpec = spec as JsonSchema;

/** A config with every default filled in. */
export type ResolvedConfig = Required<Config>;

/** Validates a config and fills its defaults (the runner does this too; direct callers may not have). */
export function resolveConfig(config: Config = {}): ResolvedConfig {
  return validateConfig<ResolvedConfig>(configSpec, config, 'destination duckdb');
}

/** DuckDB names have no practical length limit; long names are still cut (with a hash) to stay readable. */
const MAX_IDENTIFIER_BYTES = 255;

export function identifierRules(config: ResolvedConfig): IdentifierRules {
  return { maxBytes: MAX_IDENTIFIER_BYTES, lowercase: config.lowercase_identifiers };
}
