// The part of MongoDB's query language the stand-in evaluates, after the manual's "Comparison/Sort Order" and query
// operator pages: BSON values ordered by type bracket (MinKey < null < numbers < strings < objects < arrays < binData
// < ObjectId < booleans < dates < timestamps < regexes < MaxKey); numbers compared across int/long/double/decimal
// (integers exactly, anything with a fraction or a Decimal128 by its double value, where MongoDB compares Decimal128
// exactly); comparison operators match only values of the operand's bracket (query type bracketing); equality on an
// array field matches any element. Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists, and $and $or $nor, on dotted
// paths. Not evaluated (answered with error 2 BadValue): $regex, $elemMatch, $expr, $type and the rest.
import { type Binary, Decimal128, Double, Int32, Long, type ObjectId, type Timestamp, type Document } from 'bson';

export class QueryError extends Error {
  constructor(
    message: string,
    readonly code = 2,
    readonly codeName = 'BadValue',
  ) {
    super(message);
  }
}

function bsonType(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const tag = (value as { _bsontype?: string })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

/** The sort bracket of a value (lower sorts first). */
export function bracket(value: unknown): number {
  if (value === undefined || value === null) return 1;
  const tag = bsonType(value);
  if (tag === 'MinKey') return 0;
  if (tag === 'MaxKey') return 100;
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    tag === 'Int32' ||
    tag === 'Double' ||
    tag === 'Long' ||
    tag === 'Decimal128'
  )
    return 2;
  if (typeof value === 'string' || tag === 'BSONSymbol') return 3;
  if (Array.isArray(value)) return 5;
  if (tag === 'Binary') return 6;
  if (tag === 'ObjectId') return 7;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  if (tag === 'Timestamp') return 10;
  if (tag === 'BSONRegExp' || value instanceof RegExp) return 11;
  return 4; // embedded document (and the rarer types, treated as documents)
}

/** A BSON number as a JS value to compare: integers as bigint, doubles as number, Decimal128 as its text. */
function numeric(value: unknown): number | bigint | string {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Long) return value.toBigInt();
  if (value instanceof Decimal128) return value.toString();
  return Number.NaN;
}

function compareNumbers(a: unknown, b: unknown): number {
  const x = numeric(a);
  const y = numeric(b);
  // Integers compare exactly; anything with a fraction (or a decimal) by its double value.
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
  const fx = typeof x === 'bigint' ? Number(x) : Number(x);
  const fy = typeof y === 'bigint' ? Number(y) : Number(y);
  if (Number.isNaN(fx) || Number.isNaN(fy)) return Number.isNaN(fx) ? (Number.isNaN(fy) ? 0 : -1) : 1;
  return fx < fy ? -1 : fx > fy ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Orders two BSON values as MongoDB sorts them (simple collation: strings by their UTF-8 bytes). */
export function compareBson(a: unknown, b: unknown): number {
  const ba = bracket(a);
  const bb = bracket(b);
  if (ba !== bb) return ba < bb ? -1 : 1;
  switch (ba) {
    case 0:
    case 1:
    case 100:
      return 0;
    case 2:
      return compareNumbers(a, b);
    case 3:
      return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
    case 5: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareBson(x[i], y[i]);
        if (c !== 0) return c;
      }
      return Math.sign(x.length - y.length);
    }
    case 6: {
      const x = a as Binary;
      const y = b as Binary;
      if (x.position !== y.position) return Math.sign(x.position - y.position);
      if (x.sub_type !== y.sub_type) return Math.sign(x.sub_type - y.sub_type);
      return compareBytes(x.value(), y.value());
    }
    case 7:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case 8:
      return Number(a) - Number(b);
    case 9:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case 10: {
      const x = (BigInt((a as Timestamp).t) << 32n) | BigInt((a as Timestamp).i);
      const y = (BigInt((b as Timestamp).t) << 32n) | BigInt((b as Timestamp).i);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 11:
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    default: {
      const x = Object.entries(a as Document);
      const y = Object.entries(b as Document);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const [kx, vx] = x[i] as [string, unknown];
        const [ky, vy] = y[i] as [string, unknown];
        const c = compareBson(vx, vy);
        if (c !== 0) return c;
        if (kx !== ky) return kx < ky ? -1 : 1;
      }
      return Math.sign(x.length - y.length);
    }
  }
}

export function bsonEquals(a: unknown, b: unknown): boolean {
  return compareBson(a, b) === 0 && (bracket(a) !== 1 || bracket(b) === 1);
}

/** The value at a dotted path (`ns.coll`), undefined when a step is missing. */
export function getPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || bsonType(current) !== undefined) return undefined;
    current = (current as Document)[step];
  }
  return current;
}

function isOperatorObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || bsonType(value) !== undefined || value instanceof Date)
    return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** The values an equality/comparison is tried on: the field itself, and an array field's elements. */
function candidates(value: unknown): unknown[] {
  return Array.isArray(value) ? [value, ...value] : [value];
}

function compareOp(value: unknown, operand: unknown, test: (c: number) => boolean): boolean {
  return candidates(value).some((v) => bracket(v) === bracket(operand) && test(compareBson(v, operand)));
}

function eq(value: unknown, operand: unknown): boolean {
  if (operand === null) return value === null || value === undefined || (Array.isArray(value) && value.some((v) => v === null));
  return candidates(value).some((v) => v !== undefined && bsonEquals(v, operand));
}

function matchOperators(value: unknown, ops: Document): boolean {
  for (const [op, operand] of Object.entries(ops)) {
    switch (op) {
      case '$eq':
        if (!eq(value, operand)) return false;
        break;
      case '$ne':
        if (eq(value, operand)) return false;
        break;
      case '$gt':
        if (!compareOp(value, operand, (c) => c > 0)) return false;
        break;
      case '$gte':
        if (!compareOp(value, operand, (c) => c >= 0)) return false;
        break;
      case '$lt':
        if (!compareOp(value, operand, (c) => c < 0)) return false;
        break;
      case '$lte':
        if (!compareOp(value, operand, (c) => c <= 0)) return false;
        break;
      case '$in':
        if (!Array.isArray(operand)) throw new QueryError('$in needs an array');
        if (!operand.some((o) => eq(value, o))) return false;
        break;
      case '$nin':
        if (!Array.isArray(operand)) throw new QueryError('$nin needs an array');
        if (operand.some((o) => eq(value, o))) return false;
        break;
      case '$exists':
        if ((value !== undefined) !== Boolean(operand)) return false;
        break;
      default:
        throw new QueryError(`unknown operator: ${op} (the stand-in evaluates $eq $ne $gt $gte $lt $lte $in $nin $exists)`);
    }
  }
  return true;
}

/** True when `doc` matches the query `filter`. */
export function matches(doc: Document, filter: Document | undefined): boolean {
  if (!filter) return true;
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(condition) || condition.length === 0) throw new QueryError(`${key} must be a nonempty array`);
      const results = condition.map((c) => matches(doc, c as Document));
      if (key === '$and' && !results.every(Boolean)) return false;
      if (key === '$or' && !results.some(Boolean)) return false;
      if (key === '$nor' && results.some(Boolean)) return false;
      continue;
    }
    if (key === '$comment') continue;
    if (key.startsWith('$')) throw new QueryError(`unknown top level operator: ${key}`);
    const value = getPath(doc, key);
    if (isOperatorObject(condition)) {
      if (!matchOperators(value, condition)) return false;
    } else if (!eq(value, condition)) return false;
  }
  return true;
}

/** The comparator of a sort specification (`{a: 1, _id: -1}`); missing fields sort as null. */
export function sortComparator(sort: Document | undefined): ((a: Document, b: Document) => number) | undefined {
  if (!sort || Object.keys(sort).length === 0) return undefined;
  const keys = Object.entries(sort).map(([path, direction]) => {
    const d = Number(numeric(direction));
    if (d !== 1 && d !== -1) throw new QueryError(`bad sort direction for ${path}; only 1 and -1 are evaluated here`);
    return { path, d };
  });
  return (a, b) => {
    for (const { path, d } of keys) {
      const c = compareBson(getPath(a, path) ?? null, getPath(b, path) ?? null);
      if (c !== 0) return c * d;
    }
    return 0;
  };
}

/** Applies an inclusion (`{a: 1}`) or exclusion (`{a: 0}`) projection of top-level fields. */
export function project(doc: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return doc;
  const entries = Object.entries(projection).map(([k, v]) => [k, Boolean(typeof v === 'object' ? numeric(v) : v)] as const);
  const including = entries.some(([k, on]) => on && k !== '_id');
  if (including) {
    const out: Document = {};
    const idOff = entries.some(([k, on]) => k === '_id' && !on);
    if (!idOff && '_id' in doc) out['_id'] = doc['_id'];
    for (const [k, on] of entries) if (on && k in doc) out[k] = doc[k];
    return out;
  }
  const out: Document = { ...doc };
  for (const [k, on] of entries) if (!on) delete out[k];
  return out;
}

/** Applies `$set`/`$unset`/`$inc` (top-level and dotted into existing documents) or replaces the document. */
export function applyUpdate(
  doc: Document,
  update: Document,
): { doc: Document; updatedFields: Document; removedFields: string[]; replaced: boolean } {
  const keys = Object.keys(update);
  if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) {
    if (keys.some((k) => k.startsWith('$'))) throw new QueryError('an update mixes operators and fields');
    return {
      doc: { _id: doc['_id'], ...Object.fromEntries(Object.entries(update).filter(([k]) => k !== '_id')) },
      updatedFields: {},
      removedFields: [],
      replaced: true,
    };
  }
  const next: Document = structuredCloneDoc(doc);
  const updatedFields: Document = {};
  const removedFields: string[] = [];
  const setPath = (path: string, value: unknown) => {
    const steps = path.split('.');
    let target: Document = next;
    for (const step of steps.slice(0, -1)) {
      if (typeof target[step] !== 'object' || target[step] === null) target[step] = {};
      target = target[step] as Document;
    }
    target[steps[steps.length - 1] as string] = value;
  };
  for (const [op, fields] of Object.entries(update)) {
    for (const [path, value] of Object.entries(fields as Document)) {
      if (path === '_id')
        throw new QueryError("Performing an update on the path '_id' would modify the immutable field '_id'", 66, 'ImmutableField');
      if (op === '$set') {
        setPath(path, value);
        updatedFields[path] = value;
      } else if (op === '$unset') {
        const steps = path.split('.');
        const parent = steps.length === 1 ? next : getPath(next, steps.slice(0, -1).join('.'));
        if (parent && typeof parent === 'object') delete (parent as Document)[steps[steps.length - 1] as string];
        removedFields.push(path);
      } else if (op === '$inc') {
        const current = getPath(next, path);
        const base = current === undefined ? 0 : current;
        const sum = addNumbers(base, value);
        setPath(path, sum);
        updatedFields[path] = sum;
      } else {
        throw new QueryError(`the stand-in evaluates $set, $unset and $inc, not ${op}`, 9, 'FailedToParse');
      }
    }
  }
  return { doc: next, updatedFields, removedFields, replaced: false };
}

function addNumbers(a: unknown, b: unknown): unknown {
  if (a instanceof Long || b instanceof Long) return Long.fromBigInt(BigInt(String(numeric(a))) + BigInt(String(numeric(b))));
  if (a instanceof Int32 && b instanceof Int32) {
    const sum = a.value + b.value;
    return sum >= -(2 ** 31) && sum < 2 ** 31 ? new Int32(sum) : Long.fromNumber(sum);
  }
  return new Double(Number(numeric(a)) + Number(numeric(b)));
}

/** A deep copy that keeps BSON value objects (they are immutable here) and copies documents and arrays. */
export function structuredCloneDoc<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => structuredCloneDoc(v)) as T;
  if (value !== null && typeof value === 'object' && bsonType(value) === undefined && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneDoc(v)])) as T;
  }
  return value;
}
