/** @mage-int/source-zendesk — Zendesk Support as a declarative manifest, run by @mage-int/source-rest's engine. */
import { defineSource, SourceClient, validateConfig, type JsonSchema, type SourceClientOptions } from '@mage-int/core';
import rest from '@mage-int/source-rest';
import spec from '../spec.json' with { type: 'json' };
import type { Config, ResolvedConfig } from './generated/config.js';
import { zendeskManifest } from './manifest.js';

export type { Config } from './generated/config.js';
export { zendeskManifest, ZENDESK_PLAN_LIMITS } from './manifest.js';

// Validated again (idempotent) so a direct call of check/discover/read also gets the defaults.
const manifest = (config: Config) => zendeskManifest(validateConfig<ResolvedConfig>(spec as JsonSchema, config, 'source-zendesk'));

const source = defineSource<Config>({
  kind: 'source',
  name: 'zendesk',
  spec: spec as JsonSchema,
  check: (config, ctx) => rest.check(manifest(config), ctx),
  discover: (config, ctx) => rest.discover(manifest(config), ctx),
  read: (config, catalog, state, ctx) => rest.read(manifest(config), catalog, state, ctx),
});

export default source;

/** The programmatic API: `new ZendeskSource({config: {subdomain, email, api_token}}).read()`. */
export class ZendeskSource extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
