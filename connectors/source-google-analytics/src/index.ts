/** @mage-int/source-google-analytics — GA4 reports from the config, through the Data API's runReport on the official client. */
import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  validateConfig,
  type CheckResult,
  type ConnectorContext,
  type JsonSchema,
  type SourceClientOptions,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { GaConnection } from './ga-client.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { ReportStream } from './report-stream.js';

export type { Config } from './generated/config.js';
export { ReportStream, fieldName } from './report-stream.js';

/** The config with its defaults (idempotent, so direct calls of check/discover/read get them too), a connection and its streams. */
function open(config: Config, ctx: ConnectorContext): { connection: GaConnection; streams: ReportStream[] } {
  const resolved = validateConfig<ResolvedConfig>(spec as JsonSchema, config, 'source-google-analytics');
  const connection = new GaConnection(resolved, ctx.logger, ctx.signal);
  return { connection, streams: resolved.reports.map((report) => new ReportStream(connection, report, resolved)) };
}

const source = defineSource<Config>({
  kind: 'source',
  name: 'google-analytics',
  spec: spec as JsonSchema,
  async check(config, ctx): Promise<CheckResult> {
    try {
      const { connection, streams } = open(config, ctx);
      try {
        // A one-row report per configured report: the credentials, the property and the field names all answer.
        for (const stream of streams) await stream.catalogEntry();
        return {
          ok: true,
          message: `${streams.length} report${streams.length === 1 ? '' : 's'} of property ${config.property_id} answered`,
        };
      } finally {
        await connection.close();
      }
    } catch (error) {
      return { ok: false, message: formatError(error), error };
    }
  },
  async discover(config, ctx) {
    const { connection, streams } = open(config, ctx);
    try {
      const entries = [];
      for (const stream of streams) entries.push(await stream.catalogEntry());
      return { streams: entries };
    } finally {
      await connection.close();
    }
  },
  async *read(config, catalog, state, ctx) {
    const { connection, streams } = open(config, ctx);
    try {
      yield* readStreams(streams, catalog, state, ctx);
    } finally {
      await connection.close();
    }
  },
});

export default source;

/** The programmatic API: `new GoogleAnalyticsSource({config: {property_id, credentials_json, reports}}).read()`. */
export class GoogleAnalyticsSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
