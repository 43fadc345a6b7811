import {
  buildCatalogStream,
  ConnectorError,
  discoverProgress,
  getMetadata,
  type Catalog,
  type CatalogStream,
  type DiscoverContext,
  type JsonSchema,
} from '@mage-int/core';
import type { Document, MongoClient } from 'mongodb';
import { bsonKind, fieldSchema, kindsOf, replicationKeyKinds, type BsonKind } from './bson-values.js';
import { configuredDatabases, RAW_BSON } from './connection.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)

/** The tap_stream_id of a collection. */
export function tapStreamId(database: string, collection: string): string {
  return `${database}-${collection}`;
}

/** One collection to read. */
export interface CollectionRef {
  database: string;
  collection: string;
  isView: boolean;
}

/** True when the `collections` setting picks this collection (by name or `database.collection`). */
function wanted(config: Config, database: string, collection: string): boolean {
  if (!config.collections) return !collection.startsWith('system.');
  return config.collections.some((c) => c === collection || c === `${database}.${collection}`);
}

/** The collections (and views) of the configured databases that the `collections` setting picks. */
export async function listCollections(client: MongoClient, config: Config): Promise<CollectionRef[]> {
  const refs: CollectionRef[] = [];
  for (const database of configuredDatabases(config)) {
    // nameOnly (name and type) with authorizedCollections: a user with find on some collections only may list those.
    const infos = await client.db(database).listCollections({}, { nameOnly: true, authorizedCollections: true }).toArray();
    for (const info of infos.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (info.type !== 'collection' && info.type !== 'view' && info.type !== undefined) continue; // time series buckets etc.
      if (wanted(config, database, info.name)) refs.push({ database, collection: info.name, isView: info.type === 'view' });
    }
  }
  if (config.collections) {
    const missing = config.collections.filter((c) => !refs.some((r) => r.collection === c || `${r.database}.${r.collection}` === c));
    if (missing.length > 0)
      throw new ConnectorError(
        'COLLECTION_NOT_FOUND',
        `collection(s) not found in ${configuredDatabases(config).join(', ')}: ${missing.join(', ')}`,
        {
          field: 'collections',
          hint: 'check the names (case matters), the database settings, and that the user may list the collections',
        },
      );
  }
  return refs;
}

/** The fields of sampled documents and the BSON kinds each held (top-level fields; nested ones are JSON). */
export function inferFields(documents: Iterable<Document>): Map<string, Set<BsonKind>> {
  const fields = new Map<string, Set<BsonKind>>([['_id', new Set()]]);
  for (const doc of documents) {
    for (const [name, value] of Object.entries(doc)) {
      let kinds = fields.get(name);
      if (!kinds) {
        kinds = new Set();
        fields.set(name, kinds);
      }
      const kind = bsonKind(value);
      if (kind) kinds.add(kind);
    }
  }
  return fields;
}

/** A collection's schema from its fields: `_id` first, the rest in the order first seen. */
export function collectionSchema(fields: Map<string, Set<BsonKind>>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, kinds] of fields) properties[name] = fieldSchema(kinds);
  const id = properties['_id'] as JsonSchema;
  // _id is never null in a stored document.
  properties['_id'] = { ...id, type: (Array.isArray(id.type) ? id.type : [id.type]).filter((t) => t !== 'null') as string[] };
  return { type: 'object', properties };
}

/** Samples a collection (`$sample`, `sample_size` documents) and builds its catalog entry. */
export async function discoverCollection(client: MongoClient, config: Config, ref: CollectionRef): Promise<CatalogStream> {
  const collection = client.db(ref.database).collection(ref.collection);
  const sample = await collection
    .aggregate<Document>([{ $sample: { size: config.sample_size } }], { ...RAW_BSON, batchSize: Math.min(config.sample_size, 1000) })
    .toArray();
  const schema = collectionSchema(inferFields(sample));
  const properties = schema.properties as Record<string, JsonSchema>;
  const validReplicationKeys = Object.keys(properties).filter((name) => replicationKeyKinds(kindsOf(properties[name])));
  const rowCount = ref.isView ? undefined : await collection.estimatedDocumentCount().catch(() => undefined);
  return buildCatalogStream({
    tapStreamId: tapStreamId(ref.database, ref.collection),
    stream: configuredDatabases(config).length > 1 ? tapStreamId(ref.database, ref.collection) : ref.collection,
    schema,
    keyProperties: ['_id'],
    validReplicationKeys,
    selectedByDefault: true,
    streamMetadata: {
      'database-name': ref.database,
      'table-name': ref.collection,
      'is-view': ref.isView,
      'sampled-documents': sample.length,
      ...(rowCount !== undefined ? { 'row-count': rowCount } : {}),
      // A view has no change stream of its own.
      ...(ref.isView ? { 'log-based-unsupported': true } : {}),
    },
  });
}

/** Every picked collection of the configured databases, sampled. */
export async function discoverCatalog(client: MongoClient, config: Config, ctx?: DiscoverContext): Promise<Catalog> {
  const refs = await listCollections(client, config);
  const step = ctx ? discoverProgress(ctx, 'collections sampled', refs.length) : () => {};
  const streams: CatalogStream[] = [];
  for (const ref of refs) {
    streams.push(await discoverCollection(client, config, ref));
    step(`${ref.database}.${ref.collection}`);
  }
  return { streams };
}

/** The database and collection of a catalog entry. */
export function collectionOf(entry: CatalogStream): CollectionRef {
  const md = getMetadata(entry);
  const database = md['database-name'];
  const collection = md['table-name'];
  if (typeof database !== 'string' || typeof collection !== 'string')
    throw new ConnectorError('CATALOG_ENTRY_INVALID', 'the catalog entry names no database-name/table-name', {
      stream: entry.tap_stream_id,
      hint: 'run discovery again',
    });
  return { database, collection, isView: md['is-view'] === true };
}
