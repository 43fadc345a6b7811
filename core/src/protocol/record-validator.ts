import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ProtocolError, RecordValidationError } from '../errors.js';
import { Decimal, JsonText } from './exact-json.js';
import type { JsonSchema, JsonSchemaType } from './json-schema.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
  formats?: string[],
) => Ajv;

/**
 * ajv checks `type: number|integer` with typeof, which would reject the exact values (bigint, Decimal) that
 * mage-int carries. Schemas are rewritten so those types go through the `mageType` keyword instead.
 */
const NUMERIC_TYPE_KEYWORD = 'mageType';

function matchesType(value: unknown, type: JsonSchemaType): boolean {
  if (value instanceof JsonText) {
    const actual = value.jsonType();
    return actual === 'number' ? matchesType(value.value, type) : actual === type;
  }
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return (
        (typeof value === 'number' && Number.isInteger(value)) ||
        typeof value === 'bigint' ||
        (value instanceof Decimal && value.isInteger())
      );
    case 'number':
      return typeof value === 'number' || typeof value === 'bigint' || value instanceof Decimal;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Decimal);
  }
}

function rewriteNumericTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteNumericTypes);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : rewriteNumericTypes(value);
  }
  const types = Array.isArray(out['type']) ? out['type'] : typeof out['type'] === 'string' ? [out['type']] : undefined;
  if (types && (types.includes('number') || types.includes('integer'))) {
    delete out['type'];
    out[NUMERIC_TYPE_KEYWORD] = types;
  }
  // A number-valued `multipleOf` is the keyword (a field named "multipleOf" would hold a schema object).
  if (typeof out['multipleOf'] === 'number') {
    out[MULTIPLE_OF_KEYWORD] = out['multipleOf'];
    delete out['multipleOf'];
  }
  return out;
}

/**
 * ajv's `multipleOf` divides doubles, so 141.95 read off the wire is "not a multiple of 0.01", and it skips
 * bigint and Decimal values altogether. `mageMultipleOf` decides in exact decimal arithmetic instead.
 */
const MULTIPLE_OF_KEYWORD = 'mageMultipleOf';

/** A decimal literal as digits × 10^-scale, exactly. */
function scaledDecimal(text: string): { digits: bigint; scale: number } | undefined {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const fraction = match[3] ?? '';
  let digits = BigInt(`${match[1]}${match[2]}${fraction}`);
  let scale = fraction.length - Number(match[4] ?? 0);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

/** A plain decimal literal without exponent: its digits after the point are at group 1. */
const PLAIN_DECIMAL = /^-?\d+(?:\.(\d*))?$/;
/** Decimal places of a step that is a power of ten at most 1 (1, 0.1, 0.01, …): the common `multipleOf`. */
const powerOfTenScale = new Map<number, number | undefined>();

function tenthPowerScale(step: number): number | undefined {
  if (!powerOfTenScale.has(step)) {
    const match = /^(?:1|0\.(0*)1)$/.exec(String(step));
    powerOfTenScale.set(step, match ? (match[1] === undefined ? 0 : match[1].length + 1) : undefined);
  }
  return powerOfTenScale.get(step);
}

/** Whether `value` is an exact multiple of `step`, in decimal (as written), not binary floating point. */
function isDecimalMultiple(value: number | bigint | Decimal, step: number): boolean {
  if (typeof value === 'number' && !Number.isFinite(value)) return false;
  const text = typeof value === 'object' ? value.text : String(value);
  // A step of 10^-k: a multiple when the literal has at most k places (trailing zeros aside). No bigint arithmetic.
  const allowed = tenthPowerScale(step);
  const plain = allowed === undefined ? null : PLAIN_DECIMAL.exec(text);
  if (plain) {
    const places = plain[1] ?? '';
    let last = places.length;
    while (last > (allowed as number) && places.charCodeAt(last - 1) === 48) last--;
    return last <= (allowed as number);
  }
  const a = scaledDecimal(text);
  const b = scaledDecimal(String(step));
  if (!a || !b || b.digits === 0n) return false;
  const scale = Math.max(a.scale, b.scale);
  const x = a.digits * 10n ** BigInt(scale - a.scale);
  const y = b.digits * 10n ** BigInt(scale - b.scale);
  return x % y === 0n;
}

/**
 * The formats mage-int defines itself, replacing ajv-formats' date-time, date and time, which are stricter than
 * what databases print. Singer sources often emit timestamps without an offset; accept them, reject what is not a
 * timestamp. Years before 1 AD are ISO 8601 astronomical years (-0043 = 44 BC); databases also know ±infinity.
 * SQL TIME has no offset unless it is TIME WITH TIME ZONE; 24:00:00 is a valid end-of-day time. A destination that
 * checks values without the validator (reading RECORD lines itself) uses the same patterns.
 */
export const RECORD_FORMATS: Readonly<Record<string, RegExp>> = {
  'date-time': /^-?\d{4,}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d(:?\d\d)?)?$|^-?infinity$/,
  date: /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$|^-?infinity$/,
  time: /^(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?|24:00:00(\.0+)?)([Zz]|[+-]\d\d(:?\d\d(:?\d\d)?)?)?$/,
};

let shared: Ajv | undefined;

/** The one ajv instance for records: lenient about unknown keywords, with formats, and exact numbers. */
function recordAjv(): Ajv {
  if (shared) return shared;
  // allErrors: without it ajv nests the code of each property inside the previous one's success branch, and a schema
  // of ~1,400 properties overflows the stack while compiling. Valid records cost the same either way (measured).
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, allowUnionTypes: true });
  addFormats(ajv, ['date', 'time', 'uri', 'email', 'uuid', 'ipv4', 'ipv6']);
  for (const [name, pattern] of Object.entries(RECORD_FORMATS)) ajv.addFormat(name, pattern);
  ajv.addKeyword({
    keyword: NUMERIC_TYPE_KEYWORD,
    schemaType: 'array',
    errors: true,
    validate: function validate(this: unknown, types: JsonSchemaType[], data: unknown) {
      for (let i = 0; i < types.length; i++) if (matchesType(data, types[i] as JsonSchemaType)) return true;
      (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'type', message: `must be ${types.join(' or ')}`, params: { type: types } },
      ];
      return false;
    },
  });
  ajv.addKeyword({
    keyword: MULTIPLE_OF_KEYWORD,
    schemaType: 'number',
    errors: true,
    validate: function validate(this: unknown, step: number, data: unknown) {
      if (typeof data !== 'number' && typeof data !== 'bigint' && !(data instanceof Decimal)) return true;
      if (isDecimalMultiple(data, step)) return true;
      (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'multipleOf', message: `must be multiple of ${step}`, params: { multipleOf: step } },
      ];
      return false;
    },
  });
  shared = ajv;
  return ajv;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Decimal || typeof value === 'bigint') return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Validates the records of one stream against its schema. Compile once per SCHEMA, call per record. */
export class RecordValidator {
  private readonly validateFn: ValidateFunction;

  constructor(
    private readonly stream: string,
    schema: JsonSchema,
  ) {
    try {
      this.validateFn = recordAjv().compile(rewriteNumericTypes(schema) as object);
    } catch (error) {
      throw new ProtocolError('SCHEMA_UNUSABLE', `the stream's schema cannot be used to validate records: ${(error as Error).message}`, {
        stream,
        cause: error,
        hint: 'fix the SCHEMA the source emits, or run with record validation switched off',
      });
    }
  }

  /**
   * Throws a RecordValidationError naming the stream, the record and the field when `record` does not fit.
   * `recordRef` names the record in the error; a function is only called then (it costs a stringify).
   */
  validate(record: Record<string, unknown>, recordRef: number | string | (() => number | string), line?: number): void {
    if (this.validateFn(record)) return;
    const error = this.validateFn.errors?.[0];
    const path = (error?.instancePath ?? '')
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let field = path.join('.');
    let value: unknown = record;
    for (const part of path) value = (value as Record<string, unknown> | undefined)?.[part];
    let message = `${error?.message ?? 'does not match the schema'}, got ${describeValue(value)}`;
    if (error?.keyword === 'required') {
      field = [...path, String((error.params as { missingProperty?: string }).missingProperty)].join('.');
      message = 'is required by the schema but missing';
    }
    throw new RecordValidationError('RECORD_INVALID', message, {
      stream: this.stream,
      record: typeof recordRef === 'function' ? recordRef() : recordRef,
      field: field || undefined,
      line,
      hint: 'fix the source data or the stream schema, or run with record validation switched off',
    });
  }
}
