import { ConnectorError, exactNumber, type JsonSchema } from '@mage-int/core';

/** A field of an sObject describe (the parts used here). */
export interface FieldDescribe {
  name: string;
  type: string;
  precision?: number;
  scale?: number;
  nillable?: boolean;
  compoundFieldName?: string | null;
}

/** Address and geolocation fields: a compound value (kept as JSON); Bulk API 2.0 cannot select them. */
export function isCompound(field: FieldDescribe): boolean {
  return field.type === 'address' || field.type === 'location';
}

/**
 * The column schema of a field, from its Salesforce type: currency and percent as exact decimals with the
 * field's scale (and precision), other numbers exact, dates, datetimes and times with their formats, address and
 * location compound fields as JSON, and everything else (ids, references, picklists, text) as text.
 */
export function fieldSchema(field: FieldDescribe): JsonSchema {
  switch (field.type) {
    case 'boolean':
      return { type: ['null', 'boolean'] };
    case 'int':
    case 'long':
      return { type: ['null', 'integer'] };
    case 'currency':
    case 'percent': {
      const scale = field.scale ?? 0;
      return {
        type: ['null', 'number'],
        'x-decimal': true,
        ...(scale > 0 ? { multipleOf: Number(`1e-${scale}`) } : {}),
        ...(field.precision ? { 'x-precision': field.precision } : {}),
      };
    }
    case 'double':
      return { type: ['null', 'number'], 'x-decimal': true };
    case 'date':
      return { type: ['null', 'string'], format: 'date' };
    case 'datetime':
      return { type: ['null', 'string'], format: 'date-time' };
    case 'time':
      return { type: ['null', 'string'], format: 'time' };
    case 'address':
    case 'location':
      return { type: ['null', 'object'] };
    default:
      return { type: ['null', 'string'] };
  }
}

/** Where a value is, for errors. */
export interface ValueSite {
  stream: string;
  record: string;
}

/**
 * A value as REST (JSON) or Bulk API 2.0 (CSV text) sends it, in the form its schema says: datetimes in ISO UTC
 * (`…+0000` becomes `…Z`), numbers exact (CSV text keeps every digit), empty CSV cells null.
 */
export function fieldValue(field: FieldDescribe, value: unknown, site: ValueSite): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && value === '' && field.type !== 'string' && field.type !== 'textarea') return null;
  const bad = (what: string) =>
    new ConnectorError(
      'SALESFORCE_VALUE_INVALID',
      `field ${field.name} (${field.type}) holds "${String(value).slice(0, 80)}", which is not ${what}`,
      {
        stream: site.stream,
        record: site.record,
        field: field.name,
        hint: "the field's type may have changed since discovery: run discovery again, or deselect the field",
      },
    );
  switch (field.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('true or false');
    case 'int':
    case 'long':
    case 'currency':
    case 'percent':
    case 'double': {
      const text = String(value).trim();
      const parsed = Number(text);
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(parsed)) throw bad('a number');
      return exactNumber(text, parsed);
    }
    case 'datetime': {
      const at = Date.parse(String(value).replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      if (!Number.isFinite(at)) throw bad('a date-time');
      return new Date(at).toISOString();
    }
    case 'address':
    case 'location':
      if (typeof value === 'object') return value;
      try {
        return JSON.parse(String(value)) as unknown;
      } catch {
        throw bad('a compound value');
      }
    default:
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}
