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
import { discoverStreams } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { call, connect, type StripeConnection } from './stripe-client.js';
import { StripeStream, type StripeStreamSettings } from './stripe-stream.js';
import { STREAMS } from './streams.js';
import { SubscriptionItemsStream } from './subscription-items-stream.js';

export type { Config } from './generated/config.js';
export { STREAMS, SUBSCRIPTION_ITEMS, type StripeStreamDefinition } from './streams.js';
export { EVENTS_BOOKMARK, EVENTS_WINDOW_SECONDS } from './stripe-stream.js';
export { defaultRequestsPerSecond } from './stripe-client.js';

/** The streams of one run, sharing one SDK client (and so one request budget). */
export function stripeStreams(connection: StripeConnection, input: Config, now?: () => number): SourceStream[] {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'source stripe'); // fills the spec's defaults
  const settings: StripeStreamSettings = {
    pageSize: config.page_size,
    lookback: Math.round(config.lookback_window_days * 86_400),
    ...(config.start_date ? { startValue: Math.floor(Date.parse(config.start_date) / 1000) } : {}),
    ...(now ? { now } : {}),
  };
  return [
    ...STREAMS.map((definition) => new StripeStream(connection, definition, settings)),
    new SubscriptionItemsStream(connection, settings),
  ];
}

/** The Stripe source connector. */
const source = defineSource<Config>({
  kind: 'source',
  name: 'stripe',
  spec: spec as JsonSchema,

  async check(config, ctx: ConnectorContext) {
    try {
      // The events API is what every incremental sync needs, so it is the one checked.
      const connection = connect(config, ctx);
      await call(connection, { stream: 'events', request: 'GET /v1/events', permission: 'Events' }, () =>
        connection.stripe.events.list({ limit: 1 }),
      );
      return { ok: true };
    } catch (error) {
      return { ok: false, message: formatError(error) };
    }
  },

  async discover() {
    return discoverStreams();
  },

  read(config, catalog, state, ctx) {
    return readStreams(stripeStreams(connect(config, ctx), config), catalog, state, ctx);
  },
});

export default source;

/** Programmatic use: `new StripeSource({config: {api_key}}).discover()`, `.read(catalog, state)`. */
export class StripeSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
