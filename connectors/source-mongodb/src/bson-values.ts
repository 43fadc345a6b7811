import { Decimal, exactNumber, type JsonSchema } from '@mage-int/core';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, type Document } from 'mongodb';

/**
 * The BSON type names of MongoDB's `$type` operator, as far as the schema tells them apart. A field's schema carries
 * the kinds its sampled documents held (`x-bson-types`), so a bookmark read back from state becomes the same BSON
 * type again (an ObjectId, a date, a Decimal128) when it goes into a query.
 */
export type BsonKind =
  | 'objectId'
  | 'string'
  | 'int'
  | 'long'
  | 'double'
  | 'decimal'
  | 'bool'
  | 'date'
  | 'timestamp'
  | 'binData'
  | 'uuid'
  | 'object'
  | 'array'
  | 'regex'
  | 'javascript'
  | 'symbol'
  | 'minKey'
  | 'maxKey'
  | 'dbPointer';

const NUMERIC: ReadonlySet<BsonKind> = new Set(['int', 'long', 'double', 'decimal']);

/** The kind of a BSON value as the driver hands it over with RAW_BSON; undefined for null/undefined. */
export function bsonKind(value: unknown): BsonKind | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'bigint') return 'long';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  switch ((value as { _bsontype?: string })._bsontype) {
    case 'ObjectId':
      return 'objectId';
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'Timestamp':
      return 'timestamp';
    case 'Binary':
      return (value as Binary).sub_type === Binary.SUBTYPE_UUID ? 'uuid' : 'binData';
    case 'BSONRegExp':
      return 'regex';
    case 'Code':
      return 'javascript';
    case 'BSONSymbol':
      return 'symbol';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'DBRef':
      return 'dbPointer';
    default:
      return value instanceof RegExp ? 'regex' : 'object';
  }
}

/** Values a record cannot carry (NaN, ±Infinity), reported once per field by the caller. */
export class UnrepresentableValue {
  constructor(readonly text: string) {}
}

function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function finite(value: number): number | UnrepresentableValue {
  return Number.isFinite(value) ? value : new UnrepresentableValue(String(value));
}

/**
 * A BSON value as a record value, exactly: ObjectId as its 24 hex digits, Decimal128 as a `Decimal` (every digit and
 * the scale kept), Int64 as a number when a double holds it exactly else `bigint`, dates as ISO-8601 UTC with
 * milliseconds (BSON dates have millisecond precision), binary as base64 (UUIDs, subtype 4, as UUID text),
 * Timestamp as `{t, i}`, documents and arrays as JSON with the same rules inside. NaN and infinities (double or
 * Decimal128) become `UnrepresentableValue`: JSON has no such numbers.
 */
export function recordValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return finite(value);
  if (typeof value === 'bigint') return exactNumber(value.toString(), Number(value));
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? new UnrepresentableValue('Invalid Date') : value.toISOString();
  }
  if (Array.isArray(value)) return value.map((v) => jsonValue(recordValue(v)));
  if (value instanceof ObjectId) return value.toHexString();
  // Timestamp is a subclass of Long in the bson package: it goes first.
  if (value instanceof Timestamp) return { t: value.t, i: value.i };
  if (value instanceof Int32) return value.value;
  if (value instanceof Double) return finite(value.value);
  if (value instanceof Long) return exactNumber(value.toString(), value.toNumber());
  if (value instanceof Decimal128) {
    const text = value.toString();
    return /^-?(NaN|Inf)/.test(text) ? new UnrepresentableValue(text) : new Decimal(text);
  }
  if (value instanceof Binary)
    return value.sub_type === Binary.SUBTYPE_UUID && value.position === 16
      ? uuidText(value.value())
      : Buffer.from(value.value()).toString('base64');
  const tag = (value as { _bsontype?: string })._bsontype;
  switch (tag) {
    case 'BSONRegExp': {
      const r = value as { pattern: string; options: string };
      return `/${r.pattern}/${r.options}`;
    }
    case 'Code':
      return String((value as { code: unknown }).code);
    case 'BSONSymbol':
      return String((value as { value: unknown }).value);
    case 'MinKey':
      return 'MinKey';
    case 'MaxKey':
      return 'MaxKey';
    case 'DBRef': {
      const ref = value as { collection: string; oid: unknown; db?: string };
      return { $ref: ref.collection, $id: jsonValue(recordValue(ref.oid)), ...(ref.db ? { $db: ref.db } : {}) };
    }
  }
  if (value instanceof RegExp) return String(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Document)) out[k] = jsonValue(recordValue(v));
  return out;
}

/** Inside JSON, a value JSON cannot hold becomes null. */
function jsonValue(value: unknown): unknown {
  return value instanceof UnrepresentableValue ? null : value;
}

/** The JSON Schema type of one kind. */
function jsonType(kind: BsonKind): string {
  switch (kind) {
    case 'int':
    case 'long':
      return 'integer';
    case 'double':
    case 'decimal':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'object':
    case 'timestamp':
    case 'dbPointer':
      return 'object';
    case 'array':
      return 'array';
    default:
      return 'string';
  }
}

/**
 * The schema of a field from the kinds seen in the sample (widened: int+long → integer, with double → number,
 * with decimal → an exact decimal number; several unrelated kinds → a union of JSON types, which destinations store as
 * JSON). Always nullable: any document may lack any field.
 */
export function fieldSchema(kinds: ReadonlySet<BsonKind>): JsonSchema {
  const list = [...kinds].sort();
  const tag = { 'x-bson-types': list };
  if (list.length === 0) return { type: ['null', 'string'], ...tag };
  if (list.every((k) => NUMERIC.has(k))) {
    if (list.every((k) => k === 'int' || k === 'long')) return { type: ['null', 'integer'], ...tag };
    if (kinds.has('decimal')) return { type: ['null', 'number'], 'x-decimal': true, ...tag };
    return { type: ['null', 'number'], ...tag };
  }
  if (list.length === 1) {
    switch (list[0]) {
      case 'objectId':
        return { type: ['null', 'string'], 'sql-datatype': 'objectId', ...tag };
      case 'date':
        return { type: ['null', 'string'], format: 'date-time', ...tag };
      case 'uuid':
        return { type: ['null', 'string'], format: 'uuid', ...tag };
      case 'binData':
        return { type: ['null', 'string'], contentEncoding: 'base64', ...tag };
      case 'timestamp':
        return { type: ['null', 'object'], properties: { t: { type: 'integer' }, i: { type: 'integer' } }, ...tag };
    }
  }
  const types = [...new Set(list.map(jsonType))];
  // integer and number together are numbers.
  const merged = types.includes('number') ? types.filter((t) => t !== 'integer') : types;
  return { type: ['null', ...merged.sort()], ...tag };
}

/** The kinds a field's schema says it holds. */
export function kindsOf(schema: JsonSchema | undefined): BsonKind[] {
  const kinds = schema?.['x-bson-types'];
  return Array.isArray(kinds) ? (kinds as BsonKind[]) : [];
}

/** Kinds whose record values order the way MongoDB orders the BSON values, in the source kit's comparison. */
export function ordersLikeTheKit(kinds: readonly BsonKind[]): boolean {
  if (kinds.length === 0) return false;
  if (kinds.every((k) => NUMERIC.has(k))) return true;
  return kinds.length === 1 && (kinds[0] === 'date' || kinds[0] === 'objectId');
}

/** Kinds a replication key may have: one comparable kind (numbers of any width count as one). */
export function replicationKeyKinds(kinds: readonly BsonKind[]): boolean {
  if (kinds.length === 0) return false;
  if (kinds.every((k) => NUMERIC.has(k))) return true;
  return kinds.length === 1 && ['date', 'objectId', 'string'].includes(kinds[0] as string);
}

/** A record value back as the BSON value of a field of these kinds, for a query filter. */
export function bsonValue(value: unknown, kinds: readonly BsonKind[]): unknown {
  if (value === null || value === undefined) return null;
  if (kinds.length > 0 && kinds.every((k) => NUMERIC.has(k))) {
    if (kinds.includes('decimal') || value instanceof Decimal) return Decimal128.fromString(String(value));
    if (typeof value === 'bigint') return Long.fromBigInt(value);
    if (typeof value === 'number')
      return Number.isInteger(value) && !kinds.includes('double')
        ? Math.abs(value) < 2 ** 31
          ? new Int32(value)
          : Long.fromNumber(value)
        : new Double(value);
    return Number(value);
  }
  if (kinds.length === 1 && kinds[0] === 'objectId' && typeof value === 'string') return ObjectId.createFromHexString(value);
  if (kinds.length === 1 && kinds[0] === 'date' && typeof value === 'string') return new Date(value);
  return value;
}
