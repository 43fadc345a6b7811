/** @mage-int/registry — distributing connectors: a private registry, lookup, search, install and publish through npm. */
export { RegistryError } from './registry-error.js';
export { startRegistry, verdaccioConfig, type RegistryOptions, type RunningRegistry } from './start-registry.js';
export {
  addRegistryUser,
  createRegistryUser,
  loginRegistryUser,
  registryUserGroups,
  htpasswdFile,
  groupsFile,
  PUBLISHER_GROUP,
  SEED_USER,
} from './registry-accounts.js';
export { seedRegistry, firstPartyPackages, findCheckout, type WorkspacePackage, type SeedResult } from './seed-registry.js';
export {
  runNpm,
  npmView,
  npmErrorCode,
  registryArgs,
  normaliseRegistry,
  configuredRegistry,
  configuredRegistries,
  scopeOf,
  type NpmResult,
  type NpmOptions,
} from './npm-client.js';
export {
  parseConnectorRequest,
  candidatePackages,
  lookupConnector,
  type ConnectorRequest,
  type ResolvedConnector,
  type LookupOptions,
} from './connector-lookup.js';
export { searchConnectors, searchRegistry, type SearchHit } from './search.js';
export { loadConnectorIndex, findIndexEntry, INDEX_PATH, type ConnectorIndexEntry } from './connector-index.js';
export { addConnector, removeConnector, findInstalled, projectDirectory, type AddOptions, type AddResult } from './install.js';
export {
  publishConnector,
  validateConnectorPackage,
  packedFiles,
  unexpectedFiles,
  type PublishOptions,
  type PublishResult,
} from './publish.js';
