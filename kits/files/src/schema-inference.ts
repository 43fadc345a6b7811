import type { JsonSchema } from '@mage-int/core';
import { Decimal, JsonText } from '@mage-int/core';

/** What a sampled value looks like. */
export type ValueKind = 'null' | 'boolean' | 'integer' | 'number' | 'date' | 'date-time' | 'string' | 'object' | 'array' | 'any';

const INTEGER = /^-?(0|[1-9]\d*)$/;
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** The kind of a CSV field's text. Leading zeros (`007`, a zip code) stay text. */
export function kindOfText(text: string | null): ValueKind {
  if (text === null) return 'null';
  if (INTEGER.test(text)) return 'integer';
  if (NUMBER.test(text)) return 'number';
  if (/^(true|false)$/i.test(text)) return 'boolean';
  if (DATE.test(text)) return 'date';
  if (DATE_TIME.test(text)) return 'date-time';
  return 'string';
}

/** The kind of a JSON (or Parquet) value. */
export function kindOfValue(value: unknown): ValueKind {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (value instanceof Decimal) return value.isInteger() ? 'integer' : 'number';
  if (typeof value === 'string') return DATE_TIME.test(value) ? 'date-time' : DATE.test(value) ? 'date' : 'string';
  if (value instanceof JsonText) return 'any';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/**
 * The kind holding both: null gives way to anything; integer and number make number; date and date-time make
 * date-time only for JSON (text in CSV cannot be both); any other mix is text in CSV (every value is text there)
 * and any JSON value in JSON.
 */
export function widenKind(a: ValueKind, b: ValueKind, text: boolean): ValueKind {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  const pair = new Set([a, b]);
  if (pair.has('integer') && pair.has('number')) return 'number';
  if (text) return 'string';
  if (pair.has('date') && pair.has('date-time')) return 'string';
  if (pair.has('date-time') || pair.has('date')) return pair.has('string') ? 'string' : 'any';
  return 'any';
}

/** The JSON Schema of a kind; every inferred field may be null. */
export function kindSchema(kind: ValueKind): JsonSchema {
  switch (kind) {
    case 'null':
    case 'string':
      return { type: ['string', 'null'] };
    case 'date':
    case 'date-time':
      return { type: ['string', 'null'], format: kind };
    case 'any':
      return {};
    default:
      return { type: [kind, 'null'] };
  }
}

/** Collects the kinds of sampled rows, field by field, in the order fields are first seen. */
export class SchemaInference {
  private readonly kinds = new Map<string, ValueKind>();

  /** `text`: the values are CSV text (strings and nulls) rather than typed JSON values. */
  constructor(private readonly text: boolean) {}

  observe(values: Record<string, unknown>): void {
    for (const [field, value] of Object.entries(values)) {
      const kind = this.text ? kindOfText(value as string | null) : kindOfValue(value);
      const seen = this.kinds.get(field);
      this.kinds.set(field, seen === undefined ? kind : widenKind(seen, kind, this.text));
    }
  }

  /** Adds fields already typed exactly (a Parquet file's own schema): a type seen differently elsewhere widens to any. */
  observeSchema(properties: Record<string, JsonSchema>, into: Record<string, JsonSchema>): void {
    for (const [field, schema] of Object.entries(properties)) {
      const before = into[field];
      into[field] = before === undefined || JSON.stringify(before) === JSON.stringify(schema) ? schema : {};
    }
  }

  properties(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.kinds].map(([field, kind]) => [field, kindSchema(kind)]));
  }
}
