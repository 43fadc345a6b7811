import type { JsonSchema } from '@mage-int/core';
import { PROPERTY_PREFIX, propertySchema, type PropertyDefinition } from './properties.js';

/** A CRM object type read as one stream. */
export interface CrmObjectDefinition {
  /** The stream name (`contacts`, `engagements_calls`). */
  name: string;
  /** The object type in the API path (`/crm/v3/objects/{objectType}`). */
  objectType: string;
  /** The property the search API filters and sorts changes on: `lastmodifieddate` for contacts, else `hs_lastmodifieddate`. */
  modified: string;
  /** The app scope reading it needs (named in 403 errors and the README). */
  scope: string;
}

/** The CRM object streams. Engagements are CRM objects of their own in v3 (calls, emails, …). */
export const CRM_OBJECTS: readonly CrmObjectDefinition[] = [
  { name: 'contacts', objectType: 'contacts', modified: 'lastmodifieddate', scope: 'crm.objects.contacts.read' },
  { name: 'companies', objectType: 'companies', modified: 'hs_lastmodifieddate', scope: 'crm.objects.companies.read' },
  { name: 'deals', objectType: 'deals', modified: 'hs_lastmodifieddate', scope: 'crm.objects.deals.read' },
  { name: 'tickets', objectType: 'tickets', modified: 'hs_lastmodifieddate', scope: 'tickets' },
  { name: 'line_items', objectType: 'line_items', modified: 'hs_lastmodifieddate', scope: 'crm.objects.line_items.read' },
  { name: 'products', objectType: 'products', modified: 'hs_lastmodifieddate', scope: 'e-commerce' },
  { name: 'engagements_calls', objectType: 'calls', modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  {
    name: 'engagements_emails',
    objectType: 'emails',
    modified: 'hs_lastmodifieddate',
    scope: 'crm.objects.contacts.read (and sales-email-read for email bodies)',
  },
  { name: 'engagements_meetings', objectType: 'meetings', modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  { name: 'engagements_notes', objectType: 'notes', modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  { name: 'engagements_tasks', objectType: 'tasks', modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
];

/** The association pairs the associations stream reads (from → to), through associations v4. */
export const ASSOCIATION_PAIRS: readonly (readonly [string, string])[] = [
  ['contacts', 'companies'],
  ['deals', 'contacts'],
  ['deals', 'companies'],
  ['deals', 'line_items'],
  ['tickets', 'contacts'],
  ['tickets', 'companies'],
];

/** Pipelines are read for these object types. */
export const PIPELINE_OBJECT_TYPES = ['deals', 'tickets'] as const;

const NULLABLE_STRING: JsonSchema = { type: ['null', 'string'] };
const DATE_TIME: JsonSchema = { type: ['null', 'string'], format: 'date-time' };
const JSON_VALUE: JsonSchema = {};

/** A CRM object's record schema: its envelope and one `properties_<name>` column per property, typed from HubSpot's types. */
export function crmObjectSchema(properties: readonly PropertyDefinition[]): JsonSchema {
  const columns: Record<string, JsonSchema> = {
    id: { type: 'string' },
    createdAt: DATE_TIME,
    updatedAt: { type: 'string', format: 'date-time' },
    archived: { type: ['null', 'boolean'] },
    archivedAt: DATE_TIME,
    _sdc_deleted_at: DATE_TIME,
  };
  for (const property of [...properties].sort((a, b) => a.name.localeCompare(b.name))) {
    columns[`${PROPERTY_PREFIX}${property.name}`] = {
      ...propertySchema(property),
      ...(property.fieldType ? { description: `HubSpot ${property.type} (${property.fieldType})` } : {}),
    };
  }
  return { type: 'object', properties: columns };
}

/** The property a column came from, read back from its schema (the inverse of propertySchema). */
export function propertyOfColumn(column: string, schema: JsonSchema | undefined): PropertyDefinition | undefined {
  if (!column.startsWith(PROPERTY_PREFIX)) return undefined;
  const name = column.slice(PROPERTY_PREFIX.length);
  const types = Array.isArray(schema?.type) ? schema.type : [schema?.type];
  const type = types.includes('number')
    ? 'number'
    : types.includes('boolean')
      ? 'bool'
      : schema?.format === 'date-time'
        ? 'datetime'
        : schema?.format === 'date'
          ? 'date'
          : 'string';
  return { name, type };
}

export const OWNERS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: NULLABLE_STRING,
    firstName: NULLABLE_STRING,
    lastName: NULLABLE_STRING,
    userId: { type: ['null', 'integer'] },
    userIdIncludingInactive: { type: ['null', 'integer'] },
    type: NULLABLE_STRING,
    createdAt: DATE_TIME,
    updatedAt: DATE_TIME,
    archived: { type: ['null', 'boolean'] },
    teams: JSON_VALUE,
  },
};

export const PIPELINES_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    object_type: { type: 'string' },
    id: { type: 'string' },
    label: NULLABLE_STRING,
    displayOrder: { type: ['null', 'integer'] },
    createdAt: DATE_TIME,
    updatedAt: DATE_TIME,
    archived: { type: ['null', 'boolean'] },
    archivedAt: DATE_TIME,
    stages: JSON_VALUE,
  },
};

export const ASSOCIATIONS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    from_object_type: { type: 'string' },
    from_id: { type: 'string' },
    to_object_type: { type: 'string' },
    to_id: { type: 'string' },
    association_types: JSON_VALUE,
  },
};
