import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  type Catalog,
  type JsonSchema,
  type SourceClientOptions,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { connect, resolveConfig } from './connection.js';
import { catalogOf, discoverTables, schemasOf } from './discover.js';
import type { Config } from './generated/config.js';
import { redshiftStream } from './redshift-stream.js';
import { Unloader } from './unload.js';

export type { Config, ResolvedConfig } from './generated/config.js';
export { resolveConfig, connect, quoteIdentifier, quoteLiteral, redshiftError } from './connection.js';
export { discoverTables, catalogOf, type TableSource } from './discover.js';
export { redshiftStream, statement } from './redshift-stream.js';
export { Unloader, parseCsv } from './unload.js';
export { fieldSchema, textValue, kindOf, sqlDatatype, type RedshiftColumn } from './type-map.js';

/** The Redshift source: tables and views of the configured schemas, read through a server-side cursor or UNLOAD. */
const source = defineSource<Config>({
  kind: 'source',
  name: 'redshift',
  spec: spec as JsonSchema,

  async check(input) {
    try {
      const config = resolveConfig(input);
      const client = await connect(config);
      try {
        const tables = await discoverTables(client, config);
        return {
          ok: true,
          message: `${config.host}/${config.database}, schemas ${schemasOf(config).join(', ')}: ${tables.length} tables and views`,
        };
      } finally {
        await client.end().catch(() => {});
      }
    } catch (error) {
      return { ok: false, message: formatError(error), error };
    }
  },

  async discover(input): Promise<Catalog> {
    const config = resolveConfig(input);
    const client = await connect(config);
    try {
      return catalogOf(await discoverTables(client, config), config.database);
    } finally {
      await client.end().catch(() => {});
    }
  },

  async *read(input, catalog, state, ctx) {
    const config = resolveConfig(input);
    const client = await connect(config);
    const unloader = config.unload ? new Unloader(client, config.unload) : undefined;
    try {
      const tables = await discoverTables(client, config);
      const settings = {
        batchSize: config.batch_size,
        ...(unloader && config.unload ? { unload: { unloader, minRows: config.unload.min_rows } } : {}),
      };
      yield* readStreams(
        tables.map((t) => redshiftStream(client, t, settings)),
        catalog,
        state,
        ctx,
      );
    } finally {
      await unloader?.close();
      await client.end().catch(() => {});
    }
  },
});

export default source;

/** Programmatic use: `new RedshiftSource({config}).discover()`, `.read(catalog, state)`. */
export class RedshiftSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
