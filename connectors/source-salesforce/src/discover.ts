import {
  buildCatalogStream,
  ConfigError,
  getMetadata,
  keyProperties,
  replicationKey,
  selectedFields,
  selectedStreams,
  type Catalog,
  type CatalogStream,
  type ConnectorContext,
  type JsonSchema,
} from '@mage-int/core';
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
 * when it has none), with `_sdc_deleted_at` when it has `IsDeleted` (`automatic`: a delete must stay one whatever
 * fields are picked). sObjects that cannot be queried are reported in the log and left out. With
 * `selectFieldsByDefault` false (Mage's select_fields_by_default) every other field is `selected-by-default: false`,
 * as Mage's tap marks them: only the fields a catalog or pipeline selects are read.
 */
export async function discoverStreams(
  connection: SalesforceConnection,
  objects: readonly string[] | undefined,
  ctx: ConnectorContext,
  selectFieldsByDefault = true,
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
    const fieldMetadata: Record<string, Record<string, unknown>> = {};
    if (!selectFieldsByDefault)
      for (const name of Object.keys(properties)) if (name !== 'Id' && name !== key) fieldMetadata[name] = { 'selected-by-default': false };
    if (hasDeletes) fieldMetadata['_sdc_deleted_at'] = { inclusion: 'automatic', 'selected-by-default': true };
    streams.push(
      buildCatalogStream({
        stream: sobject.name,
        schema: { type: 'object', properties },
        keyProperties: fields.some((f) => f.name === 'Id') ? ['Id'] : [],
        validReplicationKeys: keys,
        ...(key ? { replicationMethod: 'INCREMENTAL' as const, replicationKey: key } : { replicationMethod: 'FULL_TABLE' as const }),
        fieldMetadata,
      }),
    );
  }
  return { streams: streams.sort((a, b) => a.stream.localeCompare(b.stream)) };
}

/**
 * With select_fields_by_default false, a selected stream must have a field selected besides those always read (`Id`,
 * the replication key, `_sdc_deleted_at`): reading only those is almost surely a forgotten selection, so it stops the
 * run before any data moves, naming the stream and how to pick fields.
 */
export function requireSelectedFields(catalog: Catalog): void {
  for (const entry of selectedStreams(catalog)) {
    const always = new Set([...keyProperties(entry), ...(replicationKey(entry) ? [replicationKey(entry) as string] : [])]);
    const picked = selectedFields(entry).filter(
      (field) => !always.has(field) && getMetadata(entry, ['properties', field])['inclusion'] !== 'automatic',
    );
    if (picked.length > 0) continue;
    const example =
      Object.keys(entry.schema.properties ?? {}).find((f) => f !== 'Id' && !always.has(f) && !f.startsWith('_sdc_')) ?? 'Name';
    throw new ConfigError(
      'FIELDS_NOT_SELECTED',
      `select_fields_by_default is false and no field of ${entry.stream} is selected (only ${[...always].join(', ')}, which are always read)`,
      {
        stream: entry.tap_stream_id,
        hint: `pick its fields in the pipeline (streams: {${entry.stream}: {fields: [${example}]}} or select: [${entry.stream}.${example}]) or in the catalog (selected: true), or set select_fields_by_default: true to read every field`,
      },
    );
  }
}
