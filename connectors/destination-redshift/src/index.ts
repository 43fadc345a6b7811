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
import { normalizeIdentifier, SqlSession, sqlSessionOptions, type TableRef } from '@mage-int/core/sql';
import { S3Storage } from '@mage-int/files-s3';
import spec from '../spec.json' with { type: 'json' };
import { check } from './check.js';
import { connectRedshift, copyAuthorization, resolveConfig, s3Settings } from './client.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { NulGuardSession } from './nul-guard.js';
import { RedshiftConnection } from './redshift-connection.js';
import { REDSHIFT_MAX_IDENTIFIER, RedshiftDialect, type TableAttributes } from './redshift-dialect.js';

export type { Config, ResolvedConfig } from './generated/config.js';
export {
  RedshiftDialect,
  REDSHIFT_MAX_IDENTIFIER,
  REDSHIFT_MAX_VARCHAR,
  REDSHIFT_DEFAULT_SCALE,
  type TableAttributes,
} from './redshift-dialect.js';
export { RedshiftConnection } from './redshift-connection.js';
export { connectRedshift, copyAuthorization, resolveConfig, s3Settings, type CopyAuthorization } from './client.js';
export { writeLoadFile, csvField, copyTimestamp, plainNumber, NULL_MARKER } from './load-file.js';
export { NulGuardSession } from './nul-guard.js';

const rules = { maxBytes: REDSHIFT_MAX_IDENTIFIER, lowercase: true };

/**
 * The DISTKEY/SORTKEY of each table from the config: `tables.<stream>` wins, else `dist_style` / `sort_key` (which
 * name the stream's key columns; the dialect passes the keys when it creates the table).
 */
export function tableAttributes(config: ResolvedConfig): (table: TableRef, keys?: readonly string[]) => TableAttributes {
  const perTable = new Map<string, TableAttributes>();
  for (const [stream, options = {}] of Object.entries(config.tables ?? {})) {
    perTable.set(normalizeIdentifier(`${config.table_prefix ?? ''}${stream}`, rules), {
      ...(options.dist_key ? { distKey: normalizeIdentifier(options.dist_key, rules) } : {}),
      ...(options.sort_keys ? { sortKeys: options.sort_keys.map((k) => normalizeIdentifier(k, rules)) } : {}),
    });
  }
  return (table, keys = []) => {
    const own = perTable.get(table.name) ?? {};
    return {
      distStyle: config.dist_style,
      ...(config.sort_key === 'key_properties' && keys.length > 0 ? { sortKeys: [...keys] } : {}),
      ...own,
    };
  };
}

/**
 * Loads messages through the destination kit: the batching writer (commits by rows, bytes and age, STATE after the
 * commit, BATCH files) over the SQL kit's session with the Redshift dialect, S3 load files and COPY.
 */
export function writeRedshift(input: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const config = resolveConfig(input);
  const auth = copyAuthorization(config);
  return writeWithSession(
    input,
    messages,
    ctx,
    async (control) => {
      const dialect = new RedshiftDialect(undefined, tableAttributes(config));
      const client = await connectRedshift(config);
      const connection = new RedshiftConnection(client, dialect, new S3Storage(s3Settings(config)), {
        auth,
        region: config.s3_region,
        logger: control.logger,
      });
      return new NulGuardSession(
        new SqlSession(dialect, connection, sqlSessionOptions(config, config.schema), control),
        config.nul_characters,
      );
    },
    { maxRows: 100_000, maxBytes: 268_435_456, maxAgeMs: 300_000 },
  );
}

/** The Redshift destination: `destination: {name: redshift, config: …}` in a pipeline, or `destination-redshift` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'redshift',
  spec: spec as JsonSchema,
  check,
  write: (config, messages, ctx) => writeRedshift(config, messages, ctx),
});

export default destination;

export interface RedshiftDestinationOptions {
  config: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/** The destination as a class, for scripts: `new RedshiftDestination({config}).write(messages)` yields states after commit. */
export class RedshiftDestination extends DestinationClient<Config> {
  constructor(options: RedshiftDestinationOptions) {
    const logger = options.logger ?? createLogger({ secrets: secretValues(destination.spec, options.config), name: 'redshift' });
    super(destination, { config: options.config, logger, ...(options.signal ? { signal: options.signal } : {}) });
  }
}
