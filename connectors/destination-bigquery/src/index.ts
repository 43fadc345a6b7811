import {
  createLogger,
  defineDestination,
  DestinationClient,
  secretValues,
  writeWithSession,
  type JsonSchema,
  type Logger,
  type SourceMessage,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';
import { SqlSession, sqlSessionOptions } from '@mage-int/core/sql';
import spec from '../spec.json' with { type: 'json' };
import { BigQueryConnection } from './bigquery-connection.js';
import { BigQueryDialect } from './bigquery-dialect.js';
import { check } from './check.js';
import { bigQueryClient } from '@mage-int/bigquery';
import { resolveConfig } from './config.js';
import type { Config, ResolvedConfig } from './generated/config.js';

export type { Config, ResolvedConfig } from './generated/config.js';
export { BigQueryDialect, BIGQUERY_MAX_COLUMN_NAME, type BigQueryTableOptions, type PartitionGranularity } from './bigquery-dialect.js';
export { BigQueryConnection } from './bigquery-connection.js';
export { resolveConfig } from './config.js';
export { utcTimestamp, loadFields, writeLoadFile, type LoadField } from './load-file.js';

/** The dialect for a config: its partitioning, clustering, staging expiry and name case. */
export function dialectFor(config: ResolvedConfig): BigQueryDialect {
  return new BigQueryDialect({
    ...(config.partition_by ? { partitionBy: config.partition_by } : {}),
    partitionGranularity: config.partition_granularity,
    clusterByKey: config.cluster_by_key,
    stagingExpirationHours: config.staging_expiration_hours,
    lowercase: config.lowercase_identifiers,
  });
}

/**
 * Loads messages through the destination kit: the batching writer (commits by rows, bytes and age, STATE after the
 * commit, BATCH files) over the SQL kit's session with the BigQuery dialect and a load-job connection.
 */
export function writeBigQuery(input: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const config = resolveConfig(input);
  return writeWithSession(
    input,
    messages,
    ctx,
    async (control) => {
      const connection = new BigQueryConnection(bigQueryClient(config), dialectFor(config), {
        dataset: config.dataset,
        ...(config.location ? { location: config.location } : {}),
        jobRetries: config.job_retries,
        logger: control.logger,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      await connection.ensureDataset();
      return new SqlSession(dialectFor(config), connection, sqlSessionOptions(config, config.dataset), control);
    },
    { maxRows: 500_000, maxBytes: 536_870_912, maxAgeMs: 300_000 },
  );
}

/** The BigQuery destination: `destination: {name: bigquery, config: …}` in a pipeline, or `destination-bigquery` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'bigquery',
  spec: spec as JsonSchema,
  check,
  write: (config, messages, ctx) => writeBigQuery(config, messages, ctx),
});

export default destination;

export interface BigQueryDestinationOptions {
  config: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The destination as a class, for scripts: `new BigQueryDestination({config}).write(messages)` loads messages
 * (enforcing the Singer rules, as the runner does) and yields states after commit; see DestinationClient.
 */
export class BigQueryDestination extends DestinationClient<Config> {
  constructor(options: BigQueryDestinationOptions) {
    const logger = options.logger ?? createLogger({ secrets: secretValues(destination.spec, options.config), name: 'bigquery' });
    super(destination, { config: options.config, logger, ...(options.signal ? { signal: options.signal } : {}) });
  }
}
