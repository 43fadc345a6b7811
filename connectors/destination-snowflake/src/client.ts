import { validateConfig, type JsonSchema } from '@mage-int/core';
import { requireCredentials, snowflakeConnectionOptions } from '@mage-int/snowflake';
import type snowflake from 'snowflake-sdk';
import spec from '../spec.json' with { type: 'json' };
import { checkExternalStage } from './external-stage.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { SnowflakeDialect, upperIdentifier } from './snowflake-dialect.js';

export { isSnowflakeHost } from '@mage-int/snowflake';

/** The config checked against the spec, every default filled in. */
export function resolveConfig(input: Config): ResolvedConfig {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination snowflake');
  requireCredentials(config);
  checkExternalStage(config);
  return config;
}

/** The sdk's options for the config (the kit's, with the schema as the dialect names it: upper-cased unless quoted as written). */
export function connectionOptions(config: ResolvedConfig): snowflake.ConnectionOptions {
  return snowflakeConnectionOptions({
    ...config,
    schema: config.disable_double_quotes === false ? config.schema : upperIdentifier(config.schema),
  });
}

/** The dialect for a config: Mage's disable_double_quotes false quotes names as they are (lower case unless lower_case is false). */
export function dialectFor(config: ResolvedConfig): SnowflakeDialect {
  return new SnowflakeDialect(undefined, {
    quoting: config.disable_double_quotes === false ? 'as-is' : 'upper',
    lowercase: config.lower_case,
  });
}
