import { ConnectorError, exactNumber, type JsonSchema } from '@mage-int/core';

/** A property definition from `GET /crm/v3/properties/{objectType}` (the fields used here). */
export interface PropertyDefinition {
  name: string;
  /** HubSpot's data type: string, number, bool, date, datetime, enumeration, phone_number, object_coordinates, json. */
  type: string;
  fieldType?: string;
}

/** Records carry each property as `properties_<name>` (Airbyte's flattened form), next to id, createdAt, … */
export const PROPERTY_PREFIX = 'properties_';

/**
 * The column schema of a property, from its HubSpot type: numbers as exact decimals (HubSpot sends them as
 * text, and currency amounts must not become doubles), datetimes and dates with their formats, booleans;
 * enumerations (multi-checkbox values joined by `;`, as HubSpot keeps them) and everything else as text.
 */
export function propertySchema(property: PropertyDefinition): JsonSchema {
  switch (property.type) {
    case 'number':
      return { type: ['null', 'number'], 'x-decimal': true };
    case 'datetime':
      return { type: ['null', 'string'], format: 'date-time' };
    case 'date':
      return { type: ['null', 'string'], format: 'date' };
    case 'bool':
      return { type: ['null', 'boolean'] };
    default:
      return { type: ['null', 'string'] };
  }
}

/** Where a value is, for errors. */
export interface ValueSite {
  stream: string;
  record: string;
}

/** A property value as HubSpot sends it (text, or null) in the form its schema says. */
export function propertyValue(property: PropertyDefinition, value: unknown, site: ValueSite): unknown {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value);
  const bad = (what: string) =>
    new ConnectorError(
      'HUBSPOT_VALUE_INVALID',
      `property ${property.name} (${property.type}) holds "${text.slice(0, 80)}", which is not ${what}`,
      {
        stream: site.stream,
        record: site.record,
        field: `${PROPERTY_PREFIX}${property.name}`,
        hint: "the property's type may have been changed in HubSpot after its values were written; run discovery again, or deselect the field",
      },
    );
  switch (property.type) {
    case 'number': {
      const trimmed = text.trim();
      const parsed = Number(trimmed);
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) || !Number.isFinite(parsed)) throw bad('a number');
      // Exact: a value a double would not hold keeps its digits (bigint, Decimal).
      return exactNumber(normalNumber(trimmed), parsed);
    }
    case 'datetime': {
      // v3 sends ISO 8601; older values and some integrations write epoch milliseconds.
      const at = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
      if (!Number.isFinite(at)) throw bad('a date-time');
      return new Date(at).toISOString();
    }
    case 'date': {
      if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
      const at = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
      if (!Number.isFinite(at)) throw bad('a date');
      return new Date(at).toISOString().slice(0, 10);
    }
    case 'bool':
      if (text === 'true' || text === 'false') return text === 'true';
      throw bad('true or false');
    default:
      return text;
  }
}

/** `1.` → `1`, `.5` → `0.5`, `+` never occurs: the JSON literal form exactNumber expects. */
function normalNumber(text: string): string {
  let out = text.replace(/\.(?=$|[eE])/, '');
  out = out.replace(/^(-?)\./, '$10.');
  return out.replace(/^(-?)0+(?=\d)/, '$1');
}
