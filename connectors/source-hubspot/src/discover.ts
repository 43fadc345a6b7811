import { buildCatalogStream, HttpError, type Catalog, type CatalogStream, type ConnectorContext } from '@mage-int/core';
import { call, type HubSpotConnection } from './hubspot-client.js';
import { ASSOCIATIONS_SCHEMA, CRM_OBJECTS, crmObjectSchema, OWNERS_SCHEMA, PIPELINES_SCHEMA } from './streams.js';

/**
 * The catalog. CRM object streams get their schemas from the properties API (custom properties included), typed
 * from HubSpot's property types, keyed by `id`, INCREMENTAL on `updatedAt`. An object type the credential may
 * not read (403) is left out with a warning naming the scope, so one missing scope does not stop discovery.
 */
export async function discoverStreams(connection: HubSpotConnection, ctx: ConnectorContext): Promise<Catalog> {
  const streams: CatalogStream[] = [];
  for (const definition of CRM_OBJECTS) {
    const site = { stream: definition.name, request: `GET /crm/v3/properties/${definition.objectType}`, scope: definition.scope };
    try {
      const answer = await call(connection, site, () => connection.properties.getAll(definition.objectType, false));
      streams.push(
        buildCatalogStream({
          stream: definition.name,
          schema: crmObjectSchema(answer.results),
          keyProperties: ['id'],
          validReplicationKeys: ['updatedAt'],
          replicationMethod: 'INCREMENTAL',
          replicationKey: 'updatedAt',
        }),
      );
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 403) throw error;
      ctx.logger.warn(`${definition.name} left out of the catalog: ${error.message}; ${error.hint ?? ''}`, { stream: definition.name });
    }
  }
  streams.push(buildCatalogStream({ stream: 'owners', schema: OWNERS_SCHEMA, keyProperties: ['id'], replicationMethod: 'FULL_TABLE' }));
  streams.push(
    buildCatalogStream({
      stream: 'pipelines',
      schema: PIPELINES_SCHEMA,
      keyProperties: ['object_type', 'id'],
      replicationMethod: 'FULL_TABLE',
    }),
  );
  streams.push(
    buildCatalogStream({
      stream: 'associations',
      schema: ASSOCIATIONS_SCHEMA,
      keyProperties: ['from_object_type', 'from_id', 'to_object_type', 'to_id'],
      replicationMethod: 'FULL_TABLE',
    }),
  );
  return { streams: streams.sort((a, b) => a.stream.localeCompare(b.stream)) };
}
