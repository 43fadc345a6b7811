import {
  defineSource,
  formatError,
  readStreams,
  SourceClient,
  validateConfig,
  type ConnectorContext,
  type JsonSchema,
  type SourceClientOptions,
  type SourceStream,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { AssociationsStream } from './associations-stream.js';
import { CrmObjectStream, type CrmStreamSettings } from './crm-object-stream.js';
import { discoverStreams } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { call, connect, type HubSpotConnection } from './hubspot-client.js';
import { OwnersStream } from './owners-stream.js';
import { PipelinesStream } from './pipelines-stream.js';
import { CRM_OBJECTS } from './streams.js';

export type { Config } from './generated/config.js';
export { CRM_OBJECTS, ASSOCIATION_PAIRS, type CrmObjectDefinition } from './streams.js';
export { SEARCH_RESULT_CAP, type CrmStreamSettings } from './crm-object-stream.js';
export { connect, type HubSpotConnection } from './hubspot-client.js';

/** The streams of one run, sharing one connection (and so its request budgets and token). */
export function hubspotStreams(connection: HubSpotConnection, input: Config, overrides: Partial<CrmStreamSettings> = {}): SourceStream[] {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source hubspot'); // fills the spec's defaults
  const settings: CrmStreamSettings = {
    pageSize: config.page_size,
    lagMs: config.search_lag_seconds * 1000,
    ...(config.start_date ? { startValue: new Date(config.start_date).toISOString() } : {}),
    ...overrides,
  };
  return [
    ...CRM_OBJECTS.map((definition) => new CrmObjectStream(connection, definition, settings)),
    new OwnersStream(connection),
    new PipelinesStream(connection),
    new AssociationsStream(connection),
  ];
}

/** The HubSpot source connector. */
const source = defineSource<Config>({
  kind: 'source',
  name: 'hubspot',
  spec: spec as JsonSchema,

  async check(config, ctx: ConnectorContext) {
    try {
      const connection = connect(config, ctx);
      await call(connection, { stream: 'contacts', request: 'GET /crm/v3/objects/contacts', scope: 'crm.objects.contacts.read' }, () =>
        connection.objects.getPage('contacts', 1),
      );
      return { ok: true };
    } catch (error) {
      return { ok: false, message: formatError(error) };
    }
  },

  async discover(config, ctx) {
    return discoverStreams(connect(config, ctx), ctx);
  },

  read(config, catalog, state, ctx) {
    return readStreams(hubspotStreams(connect(config, ctx), config), catalog, state, ctx);
  },
});

export default source;

/** Programmatic use: `new HubSpotSource({config: {access_token}}).discover()`, `.read(catalog, state)`. */
export class HubSpotSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
