import { Decimal, JsonText, stringifyExactJson } from '@mage-int/core';

/** A value as text in a CSV cell: numbers exact, objects and arrays as exact JSON; null stays null. */
export function textValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Decimal) return value.text;
  if (value instanceof JsonText) return value.text;
  if (value instanceof Date) return value.toISOString();
  return stringifyExactJson(value);
}
