import { Decimal, stringifyExactJson, type RecordData } from '@mage-int/core';

/** `"key":` by key: records of a stream repeat the same few keys millions of times. */
const keyPrefixes = new Map<string, string>();
const MAX_CACHED_KEYS = 10_000;

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `${JSON.stringify(key)}:`;
    if (keyPrefixes.size < MAX_CACHED_KEYS) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

/** One value as exact JSON; undefined when JSON.stringify would leave the property out. */
function encode(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Decimal) return value.text;
      return stringifyExactJson(value);
    default:
      return undefined;
  }
}

/**
 * A record as one line of exact JSON — the same text as `stringifyExactJson(record)`, built without
 * JSON.stringify's per-value callbacks, which dominate the cost of writing big integers and decimals.
 */
export function recordLine(record: RecordData): string {
  let line = '{';
  for (const key of Object.keys(record)) {
    const encoded = encode(record[key]);
    if (encoded === undefined) continue;
    line += line.length === 1 ? keyPrefix(key) + encoded : ',' + keyPrefix(key) + encoded;
  }
  return line + '}';
}
