import type pg from 'pg';
import { validateConfig, type JsonSchema } from '@mage-int/core';
import { connectRedshift } from '@mage-int/redshift';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';

export { quoteIdentifier, quoteLiteral, redshiftError } from '@mage-int/redshift';

/** The config checked against the spec, every default filled in. */
export function resolveConfig(input: Config): ResolvedConfig {
  return validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source-redshift');
}

/** Connects (the kit's connection, the session in UTC) with every value as the server's text, converted exactly by the type map. */
export function connect(config: ResolvedConfig): Promise<pg.Client> {
  return connectRedshift(config, { application: 'mage-int source-redshift', rawText: true });
}
