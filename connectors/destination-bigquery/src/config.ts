import { validateConfig, type JsonSchema } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

/** The config checked against the spec, every default filled in (idempotent: a validated config passes unchanged). */
export function resolveConfig(input: Config): ResolvedConfig {
  return validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination bigquery');
}
