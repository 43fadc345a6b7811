/**
 * The value at a dotted path in parsed JSON: `paging.next.after`, `data`, `records.0.id`. A function path is
 * called instead, for anything a path cannot say.
 */
export type ValuePath = string | ((body: unknown) => unknown);

export function valueAt(body: unknown, path: ValuePath): unknown {
  if (typeof path === 'function') return path(body);
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (part === '') continue;
    if (Array.isArray(value) && /^\d+$/.test(part)) value = value[Number(part)];
    else if (typeof value === 'object' && value !== null) value = (value as Record<string, unknown>)[part];
    else return undefined;
  }
  return value;
}
