import { isNumeric, type JsonSchema, type RecordData } from '@mage-int/core';

/*
 * Schemas inferred from sampled records. Each value gives a type: null, boolean, integer (whole numbers), number,
 * string (with format date-time or date when it is an ISO timestamp or date), array (items inferred from every
 * element) or object (properties inferred field by field). Samples are widened into one schema: integer and number
 * make number; a string format stays only if every sample has it; other mixes become a list of types
 * (["integer", "string"]); objects merge their properties. Every field is nullable, since APIs leave fields out.
 */

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function typesOf(schema: JsonSchema): string[] {
  const type = schema.type;
  return type === undefined ? [] : ([type].flat() as string[]);
}

/** The schema of one value. */
export function schemaOf(value: unknown): JsonSchema {
  if (value === null || value === undefined) return { type: ['null'] };
  if (typeof value === 'boolean') return { type: ['boolean'] };
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return { type: ['integer'] };
  if (isNumeric(value)) return { type: [String(value).match(/^-?\d+$/) ? 'integer' : 'number'] };
  if (typeof value === 'string') {
    if (DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return { type: ['string'], format: 'date-time' };
    if (DATE.test(value)) return { type: ['string'], format: 'date' };
    return { type: ['string'] };
  }
  if (Array.isArray(value))
    return { type: ['array'], items: value.reduce<JsonSchema | undefined>((acc, item) => widen(acc, schemaOf(item)), undefined) ?? {} };
  const properties: Record<string, JsonSchema> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) properties[key] = schemaOf(field);
  return { type: ['object'], properties };
}

/** One schema that accepts what either accepts. */
export function widen(a: JsonSchema | undefined, b: JsonSchema): JsonSchema {
  if (!a) return b;
  const types = new Set([...typesOf(a), ...typesOf(b)]);
  if (types.has('number')) types.delete('integer');
  const out: JsonSchema = { type: [...types].sort() };
  if (
    types.has('string') &&
    a.format !== undefined &&
    a.format === b.format &&
    typesOf(a).includes('string') &&
    typesOf(b).includes('string')
  )
    out.format = a.format;
  else if (types.has('string') && typesOf(a).includes('string') !== typesOf(b).includes('string')) {
    // Only one side saw strings (the other only null, say): its format holds.
    const format = typesOf(a).includes('string') ? a.format : b.format;
    if (format !== undefined) out.format = format;
  }
  if (types.has('object')) {
    const pa = a.properties ?? {};
    const pb = b.properties ?? {};
    out.properties = Object.fromEntries(
      [...new Set([...Object.keys(pa), ...Object.keys(pb)])].map((key) => [
        key,
        widen(pa[key] ?? { type: ['null'] }, pb[key] ?? { type: ['null'] }),
      ]),
    );
  }
  if (types.has('array')) {
    const items = [a.items, b.items].filter(
      (s): s is JsonSchema => typeof s === 'object' && s !== null && !Array.isArray(s) && Object.keys(s).length > 0,
    );
    out.items = items.reduce<JsonSchema | undefined>((acc, s) => widen(acc, s), undefined) ?? {};
  }
  return out;
}

/** Every property accepts null (recursively). */
function nullable(schema: JsonSchema): JsonSchema {
  const types = typesOf(schema);
  const out: JsonSchema = { ...schema, ...(types.length > 0 ? { type: [...new Set([...types, 'null'])].sort() } : {}) };
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, nullable(v)]));
  if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) out.items = nullable(schema.items as JsonSchema);
  return out;
}

/** The schema of a stream from sampled records, with the user's schema winning property by property. */
export function inferStreamSchema(records: readonly RecordData[], user?: JsonSchema): JsonSchema {
  const inferred = records.reduce<JsonSchema | undefined>((acc, record) => widen(acc, schemaOf(record)), undefined);
  const properties = Object.fromEntries(Object.entries(inferred?.properties ?? {}).map(([k, v]) => [k, nullable(v)]));
  return { type: 'object', ...user, properties: { ...properties, ...user?.properties } };
}
