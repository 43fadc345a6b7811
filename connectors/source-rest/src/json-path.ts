import { ConfigError } from '@mage-int/core';
import { query, type JsonValue } from 'jsonpath-rfc9535';
import parse from 'jsonpath-rfc9535/parser';

/** Where a JSONPath sits in the manifest, for errors: the resource and the setting. */
export interface ManifestPlace {
  resource?: string;
  field: string;
}

/** `data.items` means `$.data.items`, as in dlt; anything starting with `$` is taken as written. */
export function normalizePath(path: string): string {
  return path.startsWith('$') ? path : `$.${path}`;
}

/** Parses a JSONPath now, so a typo fails at config time naming the resource and the setting. */
export function checkedPath(path: string, place: ManifestPlace): string {
  const normalized = normalizePath(path);
  try {
    parse(normalized);
  } catch (error) {
    throw new ConfigError('JSONPATH_INVALID', `"${path}" is not an RFC 9535 JSONPath: ${(error as Error).message}`, {
      ...(place.resource ? { stream: place.resource } : {}),
      field: place.field,
      hint: "write it like $.data[*] or data.items; filters look like $[?@.status == 'open']",
    });
  }
  return normalized;
}

/** Every value a JSONPath selects. */
export function selectAll(body: unknown, path: string): unknown[] {
  if (body === undefined) return [];
  return query(body as JsonValue, path);
}

/** The first value a JSONPath selects (paths in paginators and incremental settings pick one value). */
export function selectOne(body: unknown, path: string): unknown {
  return selectAll(body, path)[0];
}

/**
 * A filter expression (`@.status == 'open'`) as a predicate on one value: the value is wrapped in a list and
 * queried with `$[?<expression>]`, so the standard's comparison, `&&`, `||`, `length()`, `match()` … apply and
 * nothing is evaluated as code.
 */
export function filterPredicate(expression: string, place: ManifestPlace): (value: unknown) => boolean {
  const path = checkedPath(`$[?${expression}]`, place);
  return (value) => query([value] as JsonValue, path).length > 0;
}
