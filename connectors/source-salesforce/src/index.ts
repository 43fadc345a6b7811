import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  validateConfig,
  type Catalog,
  type ConnectorContext,
  type JsonSchema,
  type SourceClientOptions,
  type SourceStream,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { discoverStreams, requireSelectedFields } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { call, connect, type SalesforceConnection } from './salesforce-client.js';
import { REPLICATION_KEYS, SObjectStream, type SObjectSettings } from './sobject-stream.js';

export type { Config } from './generated/config.js';
export { connect, type SalesforceConnection } from './salesforce-client.js';
export type { SObjectSettings } from './sobject-stream.js';

/** The streams of a catalog (one per sObject in it), sharing one connection. */
export function salesforceStreams(
  connection: SalesforceConnection,
  input: Config,
  catalog: Catalog,
  overrides: Partial<SObjectSettings> = {},
): SourceStream[] {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source salesforce'); // fills the spec's defaults
  const settings: SObjectSettings = {
    bulkThreshold: config.bulk_threshold,
    bulkPollIntervalMs: config.bulk_poll_interval_seconds * 1000,
    ...(config.api_type ? { api: config.api_type } : {}),
    ...(config.start_date ? { startValue: new Date(config.start_date).toISOString() } : {}),
    ...overrides,
  };
  return catalog.streams.map((entry) => {
    const properties = entry.schema.properties ?? {};
    return new SObjectStream(
      connection,
      entry.tap_stream_id,
      settings,
      REPLICATION_KEYS.filter((k) => k in properties),
    );
  });
}

/** The Salesforce source connector. */
const source = defineSource<Config>({
  kind: 'source',
  name: 'salesforce',
  spec: spec as JsonSchema,

  async check(config, ctx: ConnectorContext) {
    try {
      const connection = await connect(config, ctx);
      await call(connection, { stream: 'describeGlobal', request: 'GET /sobjects' }, () => connection.conn.describeGlobal());
      return { ok: true };
    } catch (error) {
      return { ok: false, message: formatError(error) };
    }
  },

  async discover(config, ctx) {
    return discoverStreams(await connect(config, ctx), config.objects, ctx, config.select_fields_by_default !== false);
  },

  async *read(config, catalog, state, ctx) {
    if (config.select_fields_by_default === false) requireSelectedFields(catalog);
    const connection = await connect(config, ctx);
    yield* readStreams(salesforceStreams(connection, config, catalog), catalog, state, ctx);
  },
});

export default source;

/** Programmatic use: `new SalesforceSource({config}).discover()`, `.read(catalog, state)`. */
export class SalesforceSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
