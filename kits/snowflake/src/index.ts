/** @mage-int/snowflake — what the Snowflake connectors share: the sdk session from a config, errors, quoting. */
export { isSnowflakeHost, requireCredentials, snowflakeConnectionOptions, type SnowflakeSettings } from './client.js';
export { SESSION_GONE, snowflakeError, snowflakeErrorCode } from './snowflake-error.js';
export { SnowflakeSession, type FetchAsString, type ResultBatch, type ResultColumn, type SessionOptions } from './session.js';
export { quoteSnowflakeIdentifier, quoteSnowflakeString } from './quoting.js';
