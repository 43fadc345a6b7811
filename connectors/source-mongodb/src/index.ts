import {
  assertLogBasedStreamUsable,
  ConnectorError,
  defineSource,
  emptyState,
  formatError,
  readStreams,
  replicationKey,
  replicationMethod,
  selectedStreams,
  SourceClient,
  validateConfig,
  type Catalog,
  type CatalogStream,
  type CheckResult,
  type ConnectorContext,
  type DiscoverContext,
  type JsonSchema,
  type SourceClientOptions,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import type { Document, MongoClient } from 'mongodb';
import spec from '../spec.json' with { type: 'json' };
import { collectionStream, planCollection } from './collection-stream.js';
import { configuredDatabases, connect, explainError } from './connection.js';
import { discoverCatalog } from './discover.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { probeLogPositions, readLogBased } from './log-based.js';

export type { Config } from './generated/config.js';
export { discoverCatalog } from './discover.js';
export { recordValue, fieldSchema, bsonKind, type BsonKind } from './bson-values.js';

/** What the server says about itself: version, deployment kind, and whether it has change streams. */
interface ServerFacts {
  version: string;
  deployment: 'replica set' | 'sharded cluster' | 'standalone';
  setName?: string;
}

async function serverFacts(client: MongoClient): Promise<ServerFacts> {
  const admin = client.db('admin');
  const hello = await admin.command({ hello: 1 });
  const build = await admin.command({ buildInfo: 1 });
  const version = String(build['version'] ?? '?');
  if (typeof hello['setName'] === 'string') return { version, deployment: 'replica set', setName: hello['setName'] };
  if (hello['msg'] === 'isdbgrid') return { version, deployment: 'sharded cluster' };
  return { version, deployment: 'standalone' };
}

const hasChangeStreams = (facts: ServerFacts) => facts.deployment !== 'standalone';

/** The actions the connected user holds per database (from connectionStatus), `*` for any database. */
async function privileges(client: MongoClient): Promise<Map<string, Set<string>> | undefined> {
  const status = await client.db('admin').command({ connectionStatus: 1, showPrivileges: true });
  const list = (status['authInfo'] as Document | undefined)?.['authenticatedUserPrivileges'] as Document[] | undefined;
  const users = (status['authInfo'] as Document | undefined)?.['authenticatedUsers'] as unknown[] | undefined;
  if (!list || !users || users.length === 0) return undefined; // no authentication: nothing to check
  const byDb = new Map<string, Set<string>>();
  for (const privilege of list) {
    const resource = privilege['resource'] as Document;
    const key = resource['anyResource'] ? '*' : typeof resource['db'] === 'string' ? resource['db'] || '*' : undefined;
    if (key === undefined) continue;
    const set = byDb.get(key) ?? new Set<string>();
    for (const action of (privilege['actions'] as string[]) ?? []) set.add(action);
    byDb.set(key, set);
  }
  return byDb;
}

function missingActions(granted: Map<string, Set<string>>, database: string, actions: string[]): string[] {
  const has = (a: string) => [granted.get(database), granted.get('*')].some((s) => s?.has(a) || s?.has('anyAction'));
  return actions.filter((a) => !has(a));
}

async function check(config: ResolvedConfig): Promise<CheckResult> {
  let client: MongoClient | undefined;
  try {
    client = await connect(config);
    await client.db('admin').command({ ping: 1 });
    const facts = await serverFacts(client);
    const databases = configuredDatabases(config);
    const granted = await privileges(client);
    const problems: string[] = [];
    for (const database of databases) {
      if (granted) {
        const missing = missingActions(granted, database, ['find', 'listCollections']);
        if (missing.length > 0) {
          problems.push(`the user lacks ${missing.join(', ')} on ${database} (grant the read role)`);
          continue;
        }
      }
      await client.db(database).listCollections({}, { nameOnly: true, authorizedCollections: true }).toArray();
    }
    if (problems.length > 0) return { ok: false, message: problems.join('; ') };
    const changeStreamGaps = granted ? databases.filter((d) => missingActions(granted, d, ['changeStream']).length > 0) : [];
    const cdc = !hasChangeStreams(facts)
      ? 'LOG_BASED unavailable: a standalone server has no change streams (run it as a replica set)'
      : changeStreamGaps.length > 0
        ? `LOG_BASED unavailable: the user lacks the changeStream action on ${changeStreamGaps.join(', ')}`
        : 'LOG_BASED available';
    const where = facts.setName ? `replica set ${facts.setName}` : facts.deployment;
    return { ok: true, message: `connected to MongoDB ${facts.version} (${where}); ${cdc}` };
  } catch (error) {
    return { ok: false, message: formatError(explainError(error, config)) };
  } finally {
    await client?.close();
  }
}

async function discover(config: ResolvedConfig, ctx?: DiscoverContext): Promise<Catalog> {
  const client = await connect(config);
  try {
    return await discoverCatalog(client, config, ctx);
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.close();
  }
}

/** What `read` refuses before reading anything: LOG_BASED on a server without change streams, or on a view. */
async function preflight(client: MongoClient, selected: CatalogStream[]): Promise<void> {
  const logBased = selected.filter((s) => replicationMethod(s) === 'LOG_BASED');
  if (logBased.length === 0) return;
  for (const stream of logBased) assertLogBasedStreamUsable(stream);
  const facts = await serverFacts(client);
  if (!hasChangeStreams(facts))
    throw new ConnectorError(
      'LOG_BASED_NEEDS_REPLICA_SET',
      'LOG_BASED reads change streams, which a standalone MongoDB server does not have',
      {
        stream: logBased[0]?.tap_stream_id,
        hint: 'run the server as a replica set (a one-member set will do: `mongod --replSet rs0`, then `rs.initiate()`), or use FULL_TABLE or INCREMENTAL',
      },
    );
}

/** `read`'s checks for `mage-int check`, plus whether each LOG_BASED stream's saved position is still in the oplog. */
async function preflightRead(config: ResolvedConfig, catalog: Catalog, state: State): Promise<void> {
  const client = await connect(config);
  try {
    const selected = selectedStreams(catalog);
    await preflight(client, selected);
    const logBased = selected.filter((s) => replicationMethod(s) === 'LOG_BASED').map(planCollection);
    await probeLogPositions(config, client, logBased, state ?? emptyState());
  } catch (error) {
    throw explainError(error, config);
  } finally {
    await client.close();
  }
}

/** FULL_TABLE and INCREMENTAL streams through the source kit, then the LOG_BASED ones from their change streams. */
async function* read(config: ResolvedConfig, catalog: Catalog, state: State, ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  const client = await connect(config);
  try {
    let current = state ?? emptyState();
    const selected = selectedStreams(catalog);
    try {
      await preflight(client, selected);
    } catch (error) {
      throw explainError(error, config);
    }
    const isLogBased = (id: string) => selected.some((s) => s.tap_stream_id === id && replicationMethod(s) === 'LOG_BASED');
    const logBased = selected.filter((s) => isLogBased(s.tap_stream_id));
    const others = selected.filter((s) => !isLogBased(s.tap_stream_id));
    if (others.length > 0 || logBased.length === 0) {
      const env = { client, batchSize: config.batch_size };
      const streams = others.map((entry) =>
        collectionStream(env, planCollection(entry), replicationMethod(entry) === 'INCREMENTAL' ? replicationKey(entry) : undefined),
      );
      const tableCatalog: Catalog = { ...catalog, streams: catalog.streams.filter((s) => !isLogBased(s.tap_stream_id)) };
      try {
        for await (const message of readStreams(streams, tableCatalog, current, ctx)) {
          if (message.type === 'STATE') current = message.value as State;
          yield message;
        }
      } catch (error) {
        throw explainError(error, config, current.currently_syncing ?? undefined);
      }
    }
    if (logBased.length > 0) {
      yield* readLogBased(
        config,
        client,
        logBased.map((entry) => ({ entry, plan: planCollection(entry) })),
        current,
        ctx,
      );
    }
  } finally {
    await client.close();
  }
}

/** The config with the spec's defaults filled: the runner validated it already, a direct caller may not have. */
const filled = (config: Config): ResolvedConfig => validateConfig<ResolvedConfig>(spec as JsonSchema, config, 'source mongodb');

/** The connector object (pipeline files: `source: {name: mongodb, config: …}`). */
const source = defineSource<Config>({
  kind: 'source',
  name: 'mongodb',
  spec: spec as JsonSchema,
  check: (config) => check(filled(config)),
  discover: (config, ctx) => discover(filled(config), ctx),
  read: (config, catalog, state, ctx) => read(filled(config), catalog, state, ctx),
  operations: {
    preflight: (config, catalog, state) => preflightRead(filled(config), catalog, state),
  },
});
export default source;

/** Programmatic API: `new MongoDB({config}).discover()`, `read(catalog, state)`; save the last STATE your destination stored. */
export class MongoDB extends SourceClient<Config> {
  constructor(options: SourceClientOptions<Config>) {
    super(source, options);
  }
}
