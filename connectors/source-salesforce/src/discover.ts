import { buildCatalogStream, type Catalog, type CatalogStream, type ConnectorContext, type JsonSchema } from '@mage-int/core';
import { fieldSchema, type FieldDescribe } from './field-types.js';
import { call, type SalesforceConnection } from './salesforce-client.js';
import { REPLICATION_KEYS } from './sobject-stream.js';

interface GlobalSObject {
  name: string;
  queryable: boolean;
  deprecatedAndHidden?: boolean;
}

/**
 * The catalog: `describeGlobal`, then `describe` of each queryable sObject (or of those in `objects`), custom ones
 * included. Each is keyed by `Id`, INCREMENTAL on SystemModstamp (else LastModifiedDate, CreatedDate; FULL_TABLE
 * when it has none), with `_sdc_deleted_at` when it has `IsDeleted`. sObjects that cannot be queried are reported
 * in the log and left out.
 */
export async function discoverStreams(
  connection: SalesforceConnection,
  objects: readonly string[] | undefined,
  ctx: ConnectorContext,
): Promise<Catalog> {
  const { conn } = connection;
  const global = await call(connection, { stream: 'describeGlobal', request: 'GET /sobjects' }, () => conn.describeGlobal());
  const sobjects = global.sobjects as unknown as GlobalSObject[];
  const wanted = objects ? sobjects.filter((s) => objects.includes(s.name)) : sobjects.filter((s) => !s.deprecatedAndHidden);
  const missing = (objects ?? []).filter((name) => !sobjects.some((s) => s.name === name));
  if (missing.length > 0) ctx.logger.warn(`objects not in this org (or not visible to the user): ${missing.join(', ')}`);
  const skipped = wanted.filter((s) => !s.queryable).map((s) => s.name);
  if (skipped.length > 0) ctx.logger.warn(`left out, not queryable through the API: ${skipped.join(', ')}`);
  const streams: CatalogStream[] = [];
  for (const sobject of wanted.filter((s) => s.queryable)) {
    const describe = await call(connection, { stream: sobject.name, request: `GET /sobjects/${sobject.name}/describe` }, () =>
      conn.describe(sobject.name),
    );
    const fields = describe.fields as unknown as FieldDescribe[];
    const properties: Record<string, JsonSchema> = {};
    for (const field of fields) properties[field.name] = fieldSchema(field);
    const hasDeletes = fields.some((f) => f.name === 'IsDeleted');
    if (hasDeletes) properties['_sdc_deleted_at'] = { type: ['null', 'string'], format: 'date-time' };
    const keys = REPLICATION_KEYS.filter((k) => fields.some((f) => f.name === k));
    const key = keys[0];
    streams.push(
      buildCatalogStream({
        stream: sobject.name,
        schema: { type: 'object', properties },
        keyProperties: fields.some((f) => f.name === 'Id') ? ['Id'] : [],
        validReplicationKeys: keys,
        ...(key ? { replicationMethod: 'INCREMENTAL' as const, replicationKey: key } : { replicationMethod: 'FULL_TABLE' as const }),
      }),
    );
  }
  return { streams: streams.sort((a, b) => a.stream.localeCompare(b.stream)) };
}
